// The PF's group model: a long-lived CPM group with its conference URI (protocol-notes §1), Conversation-ID and
// current Contribution-ID, subject and participant list. Pure functions; persistence is store/group-store.ts.
// Whether the group session is active is runtime state of the node (SessionState), not part of the record.
import { randomBytes } from 'node:crypto';
import { newContributionId, newConversationId, normalizeCpmId } from '../../../protocol/cpm/index.js';
import { aorKey } from './addresses.js';

export const LAB_DOMAIN = 'ims.lab';

/** A participant's standing in the group: a member, or removed because it declined (603) deferred delivery. */
export type ParticipantStatus = 'member' | 'removed-declined';

export interface GroupParticipant {
  /** The participant's AoR (`sip:alice@ims.lab`), see aorKey. */
  uri: string;
  displayName?: string;
  status: ParticipantStatus;
  /** When the status last changed (ms since epoch). */
  changedAt: number;
}

/** The last group session the PF ran for the group (informational; /state shows it). */
export interface LastSession {
  contributionId: string;
  startedAt: number;
  endedAt?: number;
}

export interface Group {
  id: string;
  /** `sip:group-<id>@ims.lab` (protocol-notes §1). */
  conferenceUri: string;
  /** Stable for the life of the group (protocol-notes §1), lower-case UUID. */
  conversationId: string;
  /** The current (or last) group session's Contribution-ID. */
  contributionId: string;
  subject: string;
  /** AoR of the user who created the group (or of the provisioning operator's choice). */
  creator: string;
  createdAt: number;
  /** Last change of the participant list: the group state object's timestamp (protocol-notes §7). */
  stateChangedAt: number;
  /** In list order; the creator first. Removed participants stay listed with their status. */
  participants: GroupParticipant[];
  lastSession?: LastSession;
}

/** Runtime state of the group session (protocol-notes §7 "Active → inactive"). */
export type SessionState = 'active' | 'inactive';

export interface ParticipantInput {
  uri: string;
  displayName?: string;
}

export interface NewGroupInput {
  /** Group id (the `<id>` of the conference URI); a fresh one when absent. */
  id?: string;
  creator: ParticipantInput;
  /** The invited participants (the creator is added first if not listed). */
  participants: readonly ParticipantInput[];
  subject?: string;
  /** Taken from the creating INVITE when present (protocol-notes §7 "Create"); fresh otherwise. */
  conversationId?: string;
  contributionId?: string;
  domain?: string;
  now: number;
}

const GROUP_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A fresh group id: 12 lower-case hex digits. */
export function newGroupId(): string {
  return randomBytes(6).toString('hex');
}

export function isValidGroupId(id: string): boolean {
  return GROUP_ID_RE.test(id);
}

/** protocol-notes §1: each group has its own conference URI, `sip:group-<id>@ims.lab`. */
export function conferenceUriFor(id: string, domain: string = LAB_DOMAIN): string {
  return `sip:group-${id}@${domain.toLowerCase()}`;
}

/** The group id named by a conference URI, or undefined when the URI is not of the `group-<id>` form. */
export function groupIdFromConferenceUri(uri: string): string | undefined {
  const m = /^sips?:group-([^@;>]+)@/i.exec(aorKey(uri));
  return m && isValidGroupId(m[1]!) ? m[1] : undefined;
}

/**
 * The group state object's timestamp after a participant-list change at `now` (protocol-notes §7): UTC whole
 * seconds (the §7 form, `2026-11-24T10:15:00Z`), and strictly later than the previous one, so that a client
 * comparing timestamps (D1.vii) never takes a newer list for one it already has.
 */
export function nextStateTimestamp(previous: number | undefined, now: number): number {
  const seconds = Math.floor(now / 1000) * 1000;
  return previous === undefined ? seconds : Math.max(seconds, previous + 1000);
}

/** Build a new group record; participants are de-duplicated by AoR, the creator first. Throws on bad input. */
export function createGroup(input: NewGroupInput): Group {
  const id = input.id ?? newGroupId();
  if (!isValidGroupId(id)) throw new RangeError(`invalid group id ${JSON.stringify(id)}`);
  const creator = aorKey(input.creator.uri);
  const participants: GroupParticipant[] = [];
  for (const p of [input.creator, ...input.participants]) {
    const uri = aorKey(p.uri);
    if (participants.some((q) => q.uri === uri)) continue;
    const participant: GroupParticipant = { uri, status: 'member', changedAt: input.now };
    if (p.displayName !== undefined) participant.displayName = p.displayName;
    participants.push(participant);
  }
  return {
    id,
    conferenceUri: conferenceUriFor(id, input.domain),
    conversationId: normalizeCpmId(input.conversationId ?? newConversationId()),
    contributionId: normalizeCpmId(input.contributionId ?? newContributionId()),
    subject: input.subject ?? '',
    creator,
    createdAt: input.now,
    stateChangedAt: nextStateTimestamp(undefined, input.now),
    participants,
  };
}

export function findParticipant(group: Group, uri: string): GroupParticipant | undefined {
  const key = aorKey(uri);
  return group.participants.find((p) => p.uri === key);
}

/** Participants whose status is `member`. */
export function members(group: Group): GroupParticipant[] {
  return group.participants.filter((p) => p.status === 'member');
}

export function isMember(group: Group, uri: string): boolean {
  return findParticipant(group, uri)?.status === 'member';
}

/**
 * protocol-notes §4 / D1.v.1: a 603 removes the user from the group. Returns the updated group, or the same
 * object when the user is not a member (already removed or never listed).
 */
export function removeParticipant(group: Group, uri: string, now: number): Group {
  const key = aorKey(uri);
  if (!isMember(group, key)) return group;
  return {
    ...group,
    stateChangedAt: nextStateTimestamp(group.stateChangedAt, now),
    participants: group.participants.map((p) =>
      p.uri === key ? { ...p, status: 'removed-declined', changedAt: now } : p,
    ),
  };
}

/** Add (or re-admit) participants as members; unchanged group when all are already members. */
export function addParticipants(group: Group, added: readonly ParticipantInput[], now: number): Group {
  let participants = group.participants;
  let changed = false;
  for (const p of added) {
    const uri = aorKey(p.uri);
    const existing = participants.find((q) => q.uri === uri);
    if (existing?.status === 'member') continue;
    changed = true;
    const next: GroupParticipant = { uri, status: 'member', changedAt: now };
    const displayName = p.displayName ?? existing?.displayName;
    if (displayName !== undefined) next.displayName = displayName;
    participants = existing ? participants.map((q) => (q.uri === uri ? next : q)) : [...participants, next];
  }
  if (!changed) return group;
  return { ...group, participants, stateChangedAt: nextStateTimestamp(group.stateChangedAt, now) };
}
