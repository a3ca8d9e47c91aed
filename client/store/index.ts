// Public surface of client/store: the per-user client store (groups, message log, outbox, policy) on disk.
export { StoreError, type StoreErrorCode } from '../../runtime/index.js';
export {
  CLIENT_STORE_VERSION,
  ClientStore,
  type ClientStoreOptions,
} from './client-store.js';
export { CLIENT_MIGRATIONS } from './database.js';
export { type GroupPatch, type GroupStateResult, GroupStore, type NewGroup } from './group-store.js';
export {
  DEFAULT_MAX_LOG_ENTRIES,
  MessageLog,
  type MessageLogOptions,
  type NotificationResult,
  type RecordResult,
} from './message-log.js';
