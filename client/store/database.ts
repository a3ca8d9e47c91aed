// The client store's schema on the lab's embedded database (runtime/sqlite.ts): groups, the message log and
// the settings (outbox, policy). Each change is one small statement (append; look-ups by indexed
// Message-ID), so a client's cost per message stays flat however many it holds.
import type { Migration } from '../../runtime/index.js';

export const CLIENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'groups, received messages, notifications, sent messages, settings',
    sql: `
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE groups (
  key TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  record TEXT NOT NULL
) STRICT;

CREATE TABLE received (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  group_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  record TEXT NOT NULL,
  UNIQUE (group_key, message_id)
) STRICT;
CREATE INDEX received_by_group ON received (group_key, seq);

CREATE TABLE notifications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  group_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  record TEXT NOT NULL,
  UNIQUE (group_key, message_id)
) STRICT;
CREATE INDEX notifications_by_group ON notifications (group_key, seq);

CREATE TABLE sent (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  group_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  record TEXT NOT NULL
) STRICT;
CREATE INDEX sent_by_group ON sent (group_key, seq);
CREATE INDEX sent_by_message ON sent (message_id);
`,
  },
];
