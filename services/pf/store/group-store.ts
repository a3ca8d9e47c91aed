// Persistent groups (conference URI, Conversation-ID, Contribution-ID, subject, participants) for the PF acting
// as Controlling Function (protocol-notes §1, §7). Synchronous; every write is one transaction.
import { isValidCpmId, normalizeCpmId } from '../../../protocol/cpm/index.js';
import {
  addParticipants,
  aorKey,
  type Group,
  type GroupParticipant,
  type ParticipantInput,
  type ParticipantStatus,
  removeParticipant,
} from '../domain/index.js';
import type { PfDatabase } from './database.js';
import { StoreError } from './errors.js';

interface GroupRow {
  id: string;
  conference_uri: string;
  conversation_id: string;
  contribution_id: string;
  subject: string;
  creator: string;
  created_at: number;
  state_changed_at: number;
  last_session_contribution_id: string | null;
  last_session_started_at: number | null;
  last_session_ended_at: number | null;
}

interface ParticipantRow {
  group_id: string;
  uri: string;
  display_name: string | null;
  status: ParticipantStatus;
  changed_at: number;
}

const GROUP_COLUMNS =
  'id, conference_uri, conversation_id, contribution_id, subject, creator, created_at, state_changed_at, ' +
  'last_session_contribution_id, last_session_started_at, last_session_ended_at';

export class GroupStore {
  readonly #db: PfDatabase;
  /**
   * Groups by id as committed, deep-frozen (every message of a session looks its group up): filled by reads
   * outside a transaction, dropped by every write through this store (the only writer of these tables).
   */
  readonly #cache = new Map<string, Group>();

  constructor(db: PfDatabase) {
    this.#db = db;
  }

  /** Store a new group. Throws StoreError('duplicate-group') when its id or conference URI is taken. */
  create(group: Group): Group {
    return this.#db.transaction(() => {
      const taken = this.#db
        .prepare('SELECT id FROM groups WHERE id = :id OR conference_uri = :uri')
        .get({ id: group.id, uri: aorKey(group.conferenceUri) });
      if (taken) throw new StoreError('duplicate-group', `group ${group.id} already exists`);
      this.#write(group);
      return this.get(group.id)!;
    });
  }

  /** Replace a stored group's record and participant list. Throws StoreError('unknown-group'). */
  save(group: Group): Group {
    return this.#db.transaction(() => {
      if (!this.#exists(group.id)) throw new StoreError('unknown-group', `no group ${group.id}`);
      this.#write(group);
      return this.get(group.id)!;
    });
  }

  get(id: string): Group | undefined {
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const row = this.#db.prepare(`SELECT ${GROUP_COLUMNS} FROM groups WHERE id = :id`).get({ id }) as
      | GroupRow
      | undefined;
    if (!row) return undefined;
    const group = this.#hydrate(row);
    // Inside a transaction the row may still roll back: not cached.
    if (!this.#db.db.inTransaction) this.#cache.set(id, deepFreeze(group));
    return group;
  }

  /** The group served at a conference URI (compared as AoR: parameters and host case ignored). */
  byConferenceUri(uri: string): Group | undefined {
    const row = this.#db
      .prepare(`SELECT ${GROUP_COLUMNS} FROM groups WHERE conference_uri = :uri`)
      .get({ uri: aorKey(uri) }) as GroupRow | undefined;
    return row && this.#hydrate(row);
  }

  /**
   * The group with this Conversation-ID (any accepted ID form, protocol-notes §1); with a Contribution-ID, only
   * if it is the group's current one. Undefined for an invalid ID.
   */
  byConversationId(conversationId: string, contributionId?: string): Group | undefined {
    if (!isValidCpmId(conversationId)) return undefined;
    if (contributionId !== undefined && !isValidCpmId(contributionId)) return undefined;
    const rows = this.#db
      .prepare(`SELECT ${GROUP_COLUMNS} FROM groups WHERE conversation_id = :conv ORDER BY created_at, id`)
      .all({ conv: normalizeCpmId(conversationId) }) as GroupRow[];
    const wanted = contributionId === undefined ? undefined : normalizeCpmId(contributionId);
    const row = rows.find((r) => wanted === undefined || r.contribution_id === wanted);
    return row && this.#hydrate(row);
  }

  /** Every group, oldest first. */
  list(): Group[] {
    const rows = this.#db
      .prepare(`SELECT ${GROUP_COLUMNS} FROM groups ORDER BY created_at, id`)
      .all() as GroupRow[];
    return rows.map((r) => this.#hydrate(r));
  }

  /** Delete a group with its participants, backlog and delivery records. False when there was none. */
  delete(id: string): boolean {
    this.#cache.delete(id);
    return this.#db.transaction(
      () => this.#db.prepare('DELETE FROM groups WHERE id = :id').run({ id }).changes > 0,
    );
  }

  /** Mark a participant removed (603, protocol-notes §4). Undefined when the group does not exist. */
  removeParticipant(id: string, uri: string, now: number): Group | undefined {
    return this.#update(id, (g) => removeParticipant(g, uri, now));
  }

  /** Add or re-admit participants as members. Undefined when the group does not exist. */
  addParticipants(id: string, participants: readonly ParticipantInput[], now: number): Group | undefined {
    return this.#update(id, (g) => addParticipants(g, participants, now));
  }

  /** A (re)started group session (protocol-notes §7 re-join/restart): new Contribution-ID, session start. */
  recordSessionStart(id: string, contributionId: string, at: number): Group | undefined {
    const contribution = normalizeCpmId(contributionId);
    return this.#update(id, (g) => ({
      ...g,
      contributionId: contribution,
      lastSession: { contributionId: contribution, startedAt: at },
    }));
  }

  /** The group session went inactive (idle timeout or last participant left, protocol-notes §7). */
  recordSessionEnd(id: string, at: number): Group | undefined {
    return this.#update(id, (g) =>
      g.lastSession && g.lastSession.endedAt === undefined
        ? { ...g, lastSession: { ...g.lastSession, endedAt: at } }
        : g,
    );
  }

  #update(id: string, change: (g: Group) => Group): Group | undefined {
    return this.#db.transaction(() => {
      const current = this.get(id);
      if (!current) return undefined;
      const next = change(current);
      if (next === current) return current;
      this.#write(next);
      return this.get(id)!;
    });
  }

  #exists(id: string): boolean {
    return this.#db.prepare('SELECT 1 AS one FROM groups WHERE id = :id').get({ id }) !== undefined;
  }

  #write(group: Group): void {
    this.#cache.delete(group.id);
    const db = this.#db;
    db.prepare(
      `INSERT INTO groups (${GROUP_COLUMNS}) VALUES (:id, :conference_uri, :conversation_id, :contribution_id,
         :subject, :creator, :created_at, :state_changed_at, :ls_contribution, :ls_started, :ls_ended)
       ON CONFLICT (id) DO UPDATE SET conference_uri = excluded.conference_uri,
         conversation_id = excluded.conversation_id, contribution_id = excluded.contribution_id,
         subject = excluded.subject, creator = excluded.creator, created_at = excluded.created_at,
         state_changed_at = excluded.state_changed_at,
         last_session_contribution_id = excluded.last_session_contribution_id,
         last_session_started_at = excluded.last_session_started_at,
         last_session_ended_at = excluded.last_session_ended_at`,
    ).run({
      id: group.id,
      conference_uri: aorKey(group.conferenceUri),
      conversation_id: normalizeCpmId(group.conversationId),
      contribution_id: normalizeCpmId(group.contributionId),
      subject: group.subject,
      creator: aorKey(group.creator),
      created_at: group.createdAt,
      state_changed_at: group.stateChangedAt,
      ls_contribution: group.lastSession ? normalizeCpmId(group.lastSession.contributionId) : null,
      ls_started: group.lastSession?.startedAt ?? null,
      ls_ended: group.lastSession?.endedAt ?? null,
    });
    db.prepare('DELETE FROM participants WHERE group_id = :id').run({ id: group.id });
    const insert = db.prepare(
      `INSERT INTO participants (group_id, position, uri, display_name, status, changed_at)
       VALUES (:group_id, :position, :uri, :display_name, :status, :changed_at)
       ON CONFLICT (group_id, uri) DO NOTHING`,
    );
    group.participants.forEach((p, position) => {
      insert.run({
        group_id: group.id,
        position,
        uri: aorKey(p.uri),
        display_name: p.displayName ?? null,
        status: p.status,
        changed_at: p.changedAt,
      });
    });
  }

  #hydrate(row: GroupRow): Group {
    const participants = (
      this.#db
        .prepare(
          `SELECT group_id, uri, display_name, status, changed_at FROM participants
           WHERE group_id = :id ORDER BY position`,
        )
        .all({ id: row.id }) as ParticipantRow[]
    ).map((p) => {
      const participant: GroupParticipant = { uri: p.uri, status: p.status, changedAt: p.changed_at };
      if (p.display_name !== null) participant.displayName = p.display_name;
      return participant;
    });
    const group: Group = {
      id: row.id,
      conferenceUri: row.conference_uri,
      conversationId: row.conversation_id,
      contributionId: row.contribution_id,
      subject: row.subject,
      creator: row.creator,
      createdAt: row.created_at,
      stateChangedAt: row.state_changed_at,
      participants,
    };
    if (row.last_session_contribution_id !== null && row.last_session_started_at !== null) {
      group.lastSession = {
        contributionId: row.last_session_contribution_id,
        startedAt: row.last_session_started_at,
      };
      if (row.last_session_ended_at !== null) group.lastSession.endedAt = row.last_session_ended_at;
    }
    return group;
  }
}

/** Freeze a hydrated group and everything in it (a cached group is shared: nobody may change it). */
function deepFreeze(group: Group): Group {
  for (const p of group.participants) Object.freeze(p);
  Object.freeze(group.participants);
  if (group.lastSession) Object.freeze(group.lastSession);
  return Object.freeze(group);
}
