// Making the system under test act: the actions the scenarios need from it, whatever the mode. A step the
// chosen mode cannot drive throws Undrivable; the scenario stops there and is reported inconclusive with the
// reason (never as passed).
import type { Policy } from '../topology/index.js';
import type { SutMode, SutSpec } from './spec.js';

/** A group as the SUT must know it: the PF's id, the conference URI and the CPM IDs, the members' AoRs. */
export interface SutGroup {
  id: string;
  conferenceUri: string;
  conversationId: string;
  contributionId: string;
  subject: string;
  participants: string[];
}

/** A step the chosen mode cannot make the SUT do (or the operator skipped): the scenario is inconclusive. */
export class Undrivable extends Error {
  override readonly name = 'Undrivable';
}

export interface ClientSutDriver {
  readonly mode: SutMode;
  /** Register (or make sure it is registered) with the lab's CSCF. */
  online(): Promise<void>;
  /** Go offline: de-register (Expires: 0) or lose the flow without de-registering. */
  offline(how: 'deregister' | 'drop'): Promise<void>;
  /** Know this group (its IDs and members), as a client that took part in it before. */
  learnGroup(group: SutGroup): Promise<void>;
  /** The user writes `text` in the group. */
  send(group: SutGroup, text: string): Promise<void>;
  /** How the user answers the PF's invitations: for one group, or for every group. */
  policy(policy: Policy, group?: SutGroup): Promise<void>;
}

export interface PfSutDriver {
  readonly mode: SutMode;
  /** Host the group: its id, IDs, conference URI (sip:group-<id>@domain) and participants. */
  createGroup(group: SutGroup): Promise<void>;
  addParticipant(group: SutGroup, aor: string): Promise<void>;
  removeParticipant(group: SutGroup, aor: string): Promise<void>;
  /** End the group session (BYE to every connected participant). */
  endSession(group: SutGroup): Promise<void>;
}

/** The SUT of a conformance run and the driver the scenarios use. */
export type SutRun =
  | { spec: SutSpec & { side: 'client' }; client: ClientSutDriver }
  | { spec: SutSpec & { side: 'pf' }; pf: PfSutDriver };
