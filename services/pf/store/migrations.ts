// Schema of the PF's store, as ordered migrations keyed by SQLite's `PRAGMA user_version`.
// A migration is appended, never edited, once released: databases in the field are at some version N and
// get exactly the migrations after N, each in its own transaction together with the user_version bump.

export type { Migration } from '../../../runtime/index.js';

import type { Migration } from '../../../runtime/index.js';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'groups, participants, deferred items, delivered-message log, delivery status',
    sql: `
CREATE TABLE groups (
  id TEXT PRIMARY KEY,
  conference_uri TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL,
  contribution_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  creator TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  state_changed_at INTEGER NOT NULL,
  last_session_contribution_id TEXT,
  last_session_started_at INTEGER,
  last_session_ended_at INTEGER
) STRICT;
CREATE INDEX groups_by_conversation ON groups (conversation_id);

CREATE TABLE participants (
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  uri TEXT NOT NULL,
  display_name TEXT,
  status TEXT NOT NULL CHECK (status IN ('member', 'removed-declined')),
  changed_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, uri)
) STRICT;

CREATE TABLE deferred_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient TEXT NOT NULL,
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  UNIQUE (recipient, group_id, message_id)
) STRICT;
CREATE INDEX deferred_items_queue ON deferred_items (recipient, group_id, id);

CREATE TABLE delivered_messages (
  recipient TEXT NOT NULL,
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  delivered_at INTEGER NOT NULL,
  PRIMARY KEY (recipient, group_id, message_id)
) STRICT;
CREATE INDEX delivered_messages_age ON delivered_messages (delivered_at);

CREATE TABLE delivery_status (
  recipient TEXT NOT NULL,
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'stopped-481')),
  changed_at INTEGER NOT NULL,
  reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_outcome TEXT,
  PRIMARY KEY (recipient, group_id)
) STRICT;
`,
  },
  {
    version: 2,
    description: 'registrations: who the CSCF said is online, until when (a restarted PF knows it at once)',
    sql: `
CREATE TABLE registrations (
  user TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT;
`,
  },
  {
    version: 3,
    description:
      'a queue gets its pending delivery record from the store itself, when its first item arrives',
    // Was a statement of its own per stored item (an upsert, about a quarter of the PF's store time in a
    // burst); now a probe of the record's primary key inside SQLite, and an insert only for a queue without one.
    sql: `
CREATE TRIGGER deferred_items_delivery_record AFTER INSERT ON deferred_items
WHEN NOT EXISTS (SELECT 1 FROM delivery_status WHERE recipient = NEW.recipient AND group_id = NEW.group_id)
BEGIN
  INSERT INTO delivery_status (recipient, group_id, status, changed_at, reason, attempts, last_outcome)
  VALUES (NEW.recipient, NEW.group_id, 'pending', NEW.stored_at, NULL, 0, NULL);
END;
`,
  },
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
