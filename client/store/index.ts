// Public surface of client/store: the per-user client store (groups, message log, outbox, policy) on disk, and
// the database under it (one per client, or one for the clients of an embedded lab).
export { StoreError, type StoreErrorCode } from '../../runtime/index.js';
export {
  CLIENT_STORE_VERSION,
  ClientStore,
  type ClientStoreOptions,
  type SharedClientStoreOptions,
} from './client-store.js';
export { ClientDatabase } from './client-database.js';
export { CLIENT_MIGRATIONS } from './database.js';
export { type GroupPatch, type GroupStateResult, GroupStore, type NewGroup } from './group-store.js';
export {
  DEFAULT_MAX_LOG_ENTRIES,
  MessageLog,
  type MessageLogOptions,
  type NotificationResult,
  type RecordResult,
} from './message-log.js';
