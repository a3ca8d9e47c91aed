// The user's groups (architecture.md "Client": IDs, conference URI, participants), kept in the client store.
import type { GroupState } from '../../protocol/bodies/index.js';
import { isValidCpmId, normalizeCpmId } from '../../protocol/cpm/index.js';
import {
  findGroupByConferenceUri,
  findGroupByIds,
  type GroupRecord,
  type GroupSessionState,
  groupKey,
  normalizeAor,
  type Participant,
  sameAor,
} from '../domain/index.js';
import { aorOf, parseUri } from '../../protocol/sip/index.js';
import { StoreError } from '../../runtime/index.js';

export interface NewGroup {
  conversationId?: string;
  contributionId?: string;
  conferenceUri: string;
  subject?: string;
  participants?: Participant[];
  sessionState?: GroupSessionState;
}

export type GroupPatch = Partial<Omit<GroupRecord, 'key'>>;

export type GroupStateResult =
  /** `removed`: the user's own address is not in the object any more (D1.vii: it was removed from the group). */
  | { applied: true; group: GroupRecord; removed: boolean }
  | { applied: false; reason: 'unknown-group' | 'older'; group?: GroupRecord };

/**
 * Records are immutable values: a change replaces the record, so a record handed out is never copied and never
 * changes under its holder (frozen, so that a caller changing one fails loudly).
 */
function freeze(g: GroupRecord): GroupRecord {
  if (Object.isFrozen(g)) return g;
  for (const p of g.participants) Object.freeze(p);
  Object.freeze(g.participants);
  return Object.freeze(g);
}

function normalizeIds<T extends { conversationId?: string; contributionId?: string }>(rec: T): T {
  const out = { ...rec };
  for (const k of ['conversationId', 'contributionId'] as const) {
    const v = out[k];
    if (v === undefined) continue;
    if (!isValidCpmId(v)) throw new StoreError('corrupt', `invalid ${k}: ${JSON.stringify(v)}`);
    out[k] = normalizeCpmId(v);
  }
  return out;
}

/**
 * Groups by key (GroupRecord.key), held in memory (a user has few) and written through: `persist` is called
 * with each new or changed record and its position before the change is made (it throws when the store is
 * closed, and then nothing changes). Reads return the records themselves: frozen values, replaced on change.
 */
export class GroupStore {
  readonly #groups: GroupRecord[];
  readonly #persist: (record: GroupRecord, position: number) => void;

  constructor(groups: GroupRecord[], persist: (record: GroupRecord, position: number) => void) {
    this.#groups = groups.map(freeze);
    this.#persist = persist;
  }

  list(): GroupRecord[] {
    return [...this.#groups];
  }

  get(key: string): GroupRecord | undefined {
    return this.#groups.find((x) => x.key === key);
  }

  /** D1.iv / A2.ii: the group with both IDs identical (case-insensitive, 32-hex accepted); left groups excluded. */
  findByIds(conversationId: string, contributionId: string): GroupRecord | undefined {
    return findGroupByIds(this.#groups, conversationId, contributionId);
  }

  findByConferenceUri(conferenceUri: string): GroupRecord | undefined {
    return findGroupByConferenceUri(this.#groups, conferenceUri);
  }

  /** Add a group the user created or was provisioned with. Throws StoreError('exists') on a duplicate key. */
  add(init: NewGroup): GroupRecord {
    const ids = normalizeIds(init);
    const conferenceUri = normalizeAor(init.conferenceUri);
    const record: GroupRecord = {
      key: groupKey(ids.conversationId, conferenceUri),
      conferenceUri,
      participants: structuredClone(init.participants ?? []),
      sessionState: init.sessionState ?? 'inactive',
      left: false,
    };
    if (ids.conversationId !== undefined) record.conversationId = ids.conversationId;
    if (ids.contributionId !== undefined) record.contributionId = ids.contributionId;
    if (init.subject !== undefined) record.subject = init.subject;
    if (this.#groups.some((g) => g.key === record.key)) {
      throw new StoreError('exists', `group ${record.key} already exists`);
    }
    this.#persist(record, this.#groups.length);
    this.#groups.push(freeze(record));
    return record;
  }

  /** Insert or replace by key (e.g. AcceptDecision.group). */
  upsert(record: GroupRecord): GroupRecord {
    const rec = freeze(normalizeIds(structuredClone(record)));
    const i = this.#groups.findIndex((g) => g.key === rec.key);
    this.#persist(rec, i >= 0 ? i : this.#groups.length);
    if (i >= 0) this.#groups[i] = rec;
    else this.#groups.push(rec);
    return rec;
  }

  update(key: string, patch: GroupPatch): GroupRecord | undefined {
    const i = this.#groups.findIndex((g) => g.key === key);
    if (i < 0) return undefined;
    const rec = freeze(normalizeIds({ ...this.#groups[i]!, ...structuredClone(patch), key }));
    this.#persist(rec, i);
    this.#groups[i] = rec;
    return rec;
  }

  setSessionState(key: string, sessionState: GroupSessionState): GroupRecord | undefined {
    return this.update(key, { sessionState });
  }

  /** D1.v.1: after a 603 the user has left the group; it is kept (history) but never matched again. */
  markLeft(key: string): GroupRecord | undefined {
    return this.update(key, { left: true, sessionState: 'inactive' });
  }

  /**
   * D1.vii: a group state object replaces the participant list and records its timestamp. An object older than
   * the last applied one is ignored; an equal timestamp is applied again (re-delivery is idempotent).
   */
  /**
   * D1.vii: the group state object replaces the participant information. Its `lastfocussessionid` is the
   * conference URI to re-join (7.3.1.5) when it is a SIP URI; `self` (the user's AoR) missing from it means the
   * user was removed: the group is marked left. An object older than the last applied one is ignored.
   */
  applyGroupState(key: string, state: GroupState, self?: string): GroupStateResult {
    const g = this.#groups.find((x) => x.key === key);
    if (!g) return { applied: false, reason: 'unknown-group' };
    if (
      g.groupStateTimestamp !== undefined &&
      state.timestamp.getTime() < Date.parse(g.groupStateTimestamp)
    ) {
      return { applied: false, reason: 'older', group: g };
    }
    const participants: Participant[] = state.participants.map((p) =>
      p.name !== undefined ? { uri: p.commAddr, name: p.name } : { uri: p.commAddr },
    );
    const patch: GroupPatch = { participants, groupStateTimestamp: state.timestamp.toISOString() };
    const focus = rejoinTarget(state.lastFocusSessionId);
    if (focus !== undefined) patch.conferenceUri = focus;
    const removed = self !== undefined && !participants.some((p) => sameAor(p.uri, self));
    if (removed) patch.left = true;
    const updated = this.update(key, patch)!;
    return { applied: true, group: updated, removed };
  }
}

/** The lastfocussessionid as a conference URI (AoR form), when it is a SIP URI (7.3.1.5 re-join target). */
function rejoinTarget(value: string): string | undefined {
  const text = value.trim();
  if (!/^sips?:/i.test(text)) return undefined;
  try {
    return aorOf(parseUri(text));
  } catch {
    return undefined;
  }
}
