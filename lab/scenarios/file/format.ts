// The scenario file format as TypeScript sees it once the loader has validated it against schema.ts.
import type { ClauseId } from '../../../protocol/cpm/index.js';
import type { LabCapability } from '../types.js';

export interface ScenarioFile {
  name: string;
  title: string;
  description?: string;
  clauses?: ClauseId[];
  requires?: LabCapability[];
  roles?: Array<string | { name: string; create: true }>;
  groups?: GroupSpec[];
  messages?: Record<string, MessageSpec>;
  steps: StepSpec[];
  checks: CheckSpec[];
}

/** The role names of a file (default alice, bob, carol), and those created for the run. */
export function rolesOf(spec: Pick<ScenarioFile, 'roles'>): { names: string[]; created: string[] } {
  const roles = spec.roles ?? DEFAULT_ROLES;
  return {
    names: roles.map((r) => (typeof r === 'string' ? r : r.name)),
    created: roles.flatMap((r) => (typeof r === 'string' ? [] : [r.name])),
  };
}

export interface GroupSpec {
  name: string;
  members: string[];
  'known-by'?: string[];
}

export type StepSpec =
  | { online: string }
  | { offline: string | { user: string; mode?: 'deregister' | 'drop' } }
  | { send: { user: string; group: string; text?: string; texts?: string[]; file?: string } }
  | { policy: { user: string; policy: 'accept' | 'decline' | 'later'; group?: string } }
  | { 'end-session': string }
  | { 'add-member': { group: string; user: string } }
  | { 'remove-member': { group: string; user: string } }
  | { wait: WaitSpec }
  | { observe: number }
  | { 'network-deregister': string }
  | { check: CheckSpec }
  | { parallel: StepSpec[] };

export interface WaitSpec {
  for:
    | 'stored'
    | 'received'
    | 'sent'
    | 'delivered'
    | 'connected'
    | 'removed'
    | 'offline'
    | 'delivery'
    | 'notification'
    | 'answered';
  status?: string;
  from?: string;
  user?: string;
  users?: string[];
  group?: string;
  count?: number;
  texts?: string[];
  timeout?: number;
}

export interface MatchSpec {
  method: string;
  from?: string;
  to?: string;
  uri?: string;
  group?: string;
  initial?: boolean;
  'same-dialog-as'?: string;
  headers?: Record<string, string>;
  body?: string;
  after?: string;
}

export interface MessageSpec {
  match: MatchSpec;
  pick?: 'first' | 'last';
  response?: { from?: string };
}

export type CountSpec = number | { min?: number; max?: number };

interface CheckBase {
  clause?: ClauseId;
  description: string;
  id?: string;
  after?: string;
  before?: string;
}

export interface RequestCheck extends CheckBase {
  kind: 'request';
  match: MatchSpec;
  absent?: boolean;
  count?: CountSpec;
  each?: boolean;
  'request-uri'?: string;
  headers?: Record<string, string | null>;
  sdp?: string;
  service?: 'deferred' | 'session';
  'accept-contact'?: Array<'require' | 'explicit'>;
  'content-type'?: string;
}

export interface ResponseCheck extends CheckBase {
  kind: 'response';
  match: MatchSpec;
  from?: string;
  status?: number;
  sdp?: string;
  headers?: Record<string, string | null>;
  service?: 'deferred' | 'session';
  'offer-sdp'?: string;
}

export interface MsrpCheck extends CheckBase {
  kind: 'msrp';
  from?: string;
  to?: string;
  group?: string;
  'first-content-type'?: string;
  texts?: string[];
  'no-content-type'?: string;
  text?: string;
  'with-content-type'?: string;
  bindings?: boolean;
  'same-imdn-id-as'?: string;
  absent?: boolean;
  count?: CountSpec;
}

export interface StateCheck extends CheckBase {
  kind: 'state';
  of: 'pf-member' | 'pf-pending' | 'pf-delivery' | 'client-group' | 'received' | 'notification';
  from?: string;
  user: string;
  group: string;
  member?: boolean;
  pending?: number;
  delivery?: string;
  left?: boolean;
  participants?: string[];
  'arrived-on'?: 'deferred' | 'active';
  texts?: string[];
}

export interface GroupStateCheck extends CheckBase {
  kind: 'group-state';
  to: string;
  group: string;
  lists?: string[];
  'client-follows'?: boolean;
  'rejoin-target'?: boolean;
}

export type CheckSpec = RequestCheck | ResponseCheck | MsrpCheck | StateCheck | GroupStateCheck;

import { USERS as DEFAULT_ROLES } from '../scenario.js';

/** The roles a scenario casts when it names none: alice, bob, carol. */
export { DEFAULT_ROLES };
