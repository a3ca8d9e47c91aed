// The client store's schema on the lab's embedded database (runtime/sqlite.ts): groups, the message log and
// the settings (outbox, policy). Each change is one small statement (append; look-ups by indexed
// Message-ID), so a client's cost per message stays flat however many it holds. Every row has an owner: the
// user whose store it is ('' in a database of one client's own; the user's name where one database holds the
// clients of an embedded lab, client-database.ts).
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
  {
    version: 2,
    description: 'an owner per row: one database can hold the stores of many clients',
    // SQLite cannot change a primary key or a UNIQUE constraint in place: each table is rebuilt with the owner
    // first in its keys and indexes; the rows of the one client a version-1 database held get owner ''.
    sql: `
CREATE TABLE settings_v2 (
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (owner, name)
) STRICT;
INSERT INTO settings_v2 (owner, name, value) SELECT '', name, value FROM settings;
DROP TABLE settings;
ALTER TABLE settings_v2 RENAME TO settings;

CREATE TABLE groups_v2 (
  owner TEXT NOT NULL,
  key TEXT NOT NULL,
  position INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (owner, key)
) STRICT;
INSERT INTO groups_v2 (owner, key, position, record) SELECT '', key, position, record FROM groups;
DROP TABLE groups;
ALTER TABLE groups_v2 RENAME TO groups;

CREATE TABLE received_v2 (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL,
  group_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  record TEXT NOT NULL,
  UNIQUE (owner, group_key, message_id)
) STRICT;
INSERT INTO received_v2 (seq, owner, group_key, message_id, record)
  SELECT seq, '', group_key, message_id, record FROM received;
DROP TABLE received;
ALTER TABLE received_v2 RENAME TO received;
CREATE INDEX received_by_group ON received (owner, group_key, seq);

CREATE TABLE notifications_v2 (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL,
  group_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  record TEXT NOT NULL,
  UNIQUE (owner, group_key, message_id)
) STRICT;
INSERT INTO notifications_v2 (seq, owner, group_key, message_id, record)
  SELECT seq, '', group_key, message_id, record FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_v2 RENAME TO notifications;
CREATE INDEX notifications_by_group ON notifications (owner, group_key, seq);

CREATE TABLE sent_v2 (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL,
  group_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  record TEXT NOT NULL
) STRICT;
INSERT INTO sent_v2 (seq, owner, group_key, message_id, record)
  SELECT seq, '', group_key, message_id, record FROM sent;
DROP TABLE sent;
ALTER TABLE sent_v2 RENAME TO sent;
CREATE INDEX sent_by_group ON sent (owner, group_key, seq);
CREATE INDEX sent_by_message ON sent (owner, message_id);
`,
  },
];
