// Conference state documents, application/conference-info+xml (RFC 4575 §5), and partial-state merging (§4.6).
import { BodyParseError } from './errors.js';
import {
  attr,
  buildXml,
  childElement,
  childElements,
  childText,
  expectRoot,
  parseXml,
  requireAttr,
  type XmlBuildNode,
  type XmlElement,
  type XmlLimits,
} from './xml.js';

export const CONFERENCE_INFO_CONTENT_TYPE = 'application/conference-info+xml';
export const CONFERENCE_INFO_NS = 'urn:ietf:params:xml:ns:conference-info';

/** RFC 4575 §5.1 state attribute. */
export type ElementState = 'full' | 'partial' | 'deleted';
/** RFC 4575 §5.6.5.2 endpoint status. */
export type EndpointStatus =
  | 'pending'
  | 'dialing-out'
  | 'dialing-in'
  | 'alerting'
  | 'on-hold'
  | 'connected'
  | 'muted-via-focus'
  | 'disconnecting'
  | 'disconnected';
/** RFC 4575 §5.6.5.5.6 media status. */
export type MediaStatus = 'recvonly' | 'sendonly' | 'sendrecv' | 'inactive';
/** RFC 4575 §5.6.5.3 joining method. */
export type JoiningMethod = 'dialed-in' | 'dialed-out' | 'focus-owner';

export interface ConferenceMedia {
  id: string;
  displayText?: string;
  type?: string;
  label?: string;
  srcId?: string;
  status?: MediaStatus;
}

export interface ConferenceEndpoint {
  entity: string;
  state?: ElementState;
  displayText?: string;
  status?: EndpointStatus;
  joiningMethod?: JoiningMethod;
  media: ConferenceMedia[];
}

export interface ConferenceUser {
  entity: string;
  state?: ElementState;
  displayText?: string;
  roles?: string[];
  endpoints: ConferenceEndpoint[];
}

export interface ConferenceInfo {
  /** The conference URI (RFC 4575 §5.1). */
  entity: string;
  state: ElementState;
  version: number;
  subject?: string;
  userCount?: number;
  /** Absent when the document carries no `<users>` element (nothing changed in a partial notification). */
  users?: ConferenceUser[];
}

const STATES: readonly ElementState[] = ['full', 'partial', 'deleted'];
const ENDPOINT_STATUSES: readonly EndpointStatus[] = [
  'pending',
  'dialing-out',
  'dialing-in',
  'alerting',
  'on-hold',
  'connected',
  'muted-via-focus',
  'disconnecting',
  'disconnected',
];
const MEDIA_STATUSES: readonly MediaStatus[] = ['recvonly', 'sendonly', 'sendrecv', 'inactive'];
const JOINING_METHODS: readonly JoiningMethod[] = ['dialed-in', 'dialed-out', 'focus-owner'];

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  what: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BodyParseError('schema', `conference-info: bad ${what} ${JSON.stringify(value)}`);
  }
  return value as T;
}

const NS = CONFERENCE_INFO_NS;

/** Parse a conference-info document. Throws BodyParseError. */
export function parseConferenceInfo(body: Buffer | string, limits?: XmlLimits): ConferenceInfo {
  const root = parseXml(body, limits);
  expectRoot(root, NS, 'conference-info');
  const versionText = requireAttr(root, 'version', 'conference-info');
  const version = Number(versionText);
  if (!/^\d{1,10}$/.test(versionText)) throw new BodyParseError('schema', 'conference-info: bad version');
  const info: ConferenceInfo = {
    entity: requireAttr(root, 'entity', 'conference-info'),
    state: oneOf(attr(root, 'state'), STATES, 'state') ?? 'full', // §5.1: default "full"
    version,
  };
  const desc = childElement(root, NS, 'conference-description');
  const subject = desc && childText(desc, NS, 'subject');
  if (subject !== undefined) info.subject = subject;
  const confState = childElement(root, NS, 'conference-state');
  const userCount = confState && childText(confState, NS, 'user-count');
  if (userCount !== undefined) {
    if (!/^\d{1,9}$/.test(userCount)) throw new BodyParseError('schema', 'conference-info: bad user-count');
    info.userCount = Number(userCount);
  }
  const users = childElement(root, NS, 'users');
  if (users) info.users = childElements(users, NS, 'user').map(readUser);
  return info;
}

function readUser(el: XmlElement): ConferenceUser {
  const user: ConferenceUser = { entity: requireAttr(el, 'entity', 'user'), endpoints: [] };
  const state = oneOf(attr(el, 'state'), STATES, 'state');
  if (state) user.state = state;
  const display = childText(el, NS, 'display-text');
  if (display !== undefined) user.displayText = display;
  const roles = childElement(el, NS, 'roles');
  if (roles) user.roles = childElements(roles, NS, 'entry').map((e) => e.text);
  user.endpoints = childElements(el, NS, 'endpoint').map(readEndpoint);
  return user;
}

function readEndpoint(el: XmlElement): ConferenceEndpoint {
  const ep: ConferenceEndpoint = { entity: requireAttr(el, 'entity', 'endpoint'), media: [] };
  const state = oneOf(attr(el, 'state'), STATES, 'state');
  if (state) ep.state = state;
  const display = childText(el, NS, 'display-text');
  if (display !== undefined) ep.displayText = display;
  const status = oneOf(childText(el, NS, 'status'), ENDPOINT_STATUSES, 'endpoint status');
  if (status) ep.status = status;
  const joining = oneOf(childText(el, NS, 'joining-method'), JOINING_METHODS, 'joining-method');
  if (joining) ep.joiningMethod = joining;
  ep.media = childElements(el, NS, 'media').map(readMedia);
  return ep;
}

function readMedia(el: XmlElement): ConferenceMedia {
  const media: ConferenceMedia = { id: requireAttr(el, 'id', 'media') };
  const fields = [
    ['display-text', 'displayText'],
    ['type', 'type'],
    ['label', 'label'],
    ['src-id', 'srcId'],
  ] as const;
  for (const [tag, key] of fields) {
    const v = childText(el, NS, tag);
    if (v !== undefined) media[key] = v;
  }
  const status = oneOf(childText(el, NS, 'status'), MEDIA_STATUSES, 'media status');
  if (status) media.status = status;
  return media;
}

const text = (name: string, value: string | undefined): XmlBuildNode[] =>
  value === undefined ? [] : [{ name, children: [value] }];

/** Serialise a conference-info document (RFC 4575 §5, element order of the §5 schema). */
export function buildConferenceInfo(info: ConferenceInfo): Buffer {
  const children: XmlBuildNode[] = [];
  if (info.subject !== undefined)
    children.push({ name: 'conference-description', children: text('subject', info.subject) });
  if (info.userCount !== undefined) {
    children.push({ name: 'conference-state', children: text('user-count', String(info.userCount)) });
  }
  if (info.users) children.push({ name: 'users', children: info.users.map(userNode) });
  return buildXml({
    name: 'conference-info',
    attrs: { xmlns: NS, entity: info.entity, state: info.state, version: String(info.version) },
    children,
  });
}

function userNode(u: ConferenceUser): XmlBuildNode {
  return {
    name: 'user',
    attrs: { entity: u.entity, state: u.state },
    children: [
      ...text('display-text', u.displayText),
      ...(u.roles ? [{ name: 'roles', children: u.roles.flatMap((r) => text('entry', r)) }] : []),
      ...u.endpoints.map(endpointNode),
    ],
  };
}

function endpointNode(e: ConferenceEndpoint): XmlBuildNode {
  return {
    name: 'endpoint',
    attrs: { entity: e.entity, state: e.state },
    children: [
      ...text('display-text', e.displayText),
      ...text('status', e.status),
      ...text('joining-method', e.joiningMethod),
      ...e.media.map(mediaNode),
    ],
  };
}

function mediaNode(m: ConferenceMedia): XmlBuildNode {
  return {
    name: 'media',
    attrs: { id: m.id },
    children: [
      ...text('display-text', m.displayText),
      ...text('type', m.type),
      ...text('label', m.label),
      ...text('src-id', m.srcId),
      ...text('status', m.status),
    ],
  };
}

/**
 * Apply a notification to the state held so far (RFC 4575 §4.6): a full document replaces it; a partial one
 * must carry version = current + 1 and is merged user by user and endpoint by endpoint (keyed by entity),
 * `state="deleted"` removing the element. Returns undefined when a partial update cannot be applied (no
 * state yet, or a version gap) — the subscriber should then refresh its subscription to get full state.
 */
export function applyConferenceInfo(
  current: ConferenceInfo | undefined,
  update: ConferenceInfo,
): ConferenceInfo | undefined {
  if (update.state === 'full') return update;
  if (!current || update.version !== current.version + 1) return undefined;
  const merged: ConferenceInfo = { ...current, version: update.version, state: 'full' };
  if (update.subject !== undefined) merged.subject = update.subject;
  if (update.userCount !== undefined) merged.userCount = update.userCount;
  if (update.users) merged.users = mergeByEntity(current.users ?? [], update.users, mergeUser);
  return merged;
}

function mergeUser(old: ConferenceUser, upd: ConferenceUser): ConferenceUser {
  const out: ConferenceUser = { ...old, ...stripped(upd), endpoints: old.endpoints };
  out.endpoints = mergeByEntity(old.endpoints, upd.endpoints, (o, u) => ({
    ...o,
    ...stripped(u),
    media: u.media.length > 0 ? u.media : o.media,
  }));
  delete out.state;
  return out;
}

function stripped<T extends { state?: ElementState }>(x: T): Partial<T> {
  const copy: Partial<T> = {};
  for (const [k, v] of Object.entries(x)) {
    if (v !== undefined && k !== 'state' && k !== 'endpoints' && k !== 'media')
      (copy as Record<string, unknown>)[k] = v;
  }
  return copy;
}

function mergeByEntity<T extends { entity: string; state?: ElementState }>(
  old: readonly T[],
  updates: readonly T[],
  merge: (o: T, u: T) => T,
): T[] {
  const out = [...old];
  for (const u of updates) {
    const i = out.findIndex((o) => o.entity === u.entity);
    if (u.state === 'deleted') {
      if (i >= 0) out.splice(i, 1);
    } else if (i < 0 || u.state === 'full' || u.state === undefined) {
      const fresh = { ...u };
      delete fresh.state;
      if (i >= 0) out[i] = fresh;
      else out.push(fresh);
    } else {
      out[i] = merge(out[i]!, u);
    }
  }
  return out;
}
