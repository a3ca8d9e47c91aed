// Public surface of client/store: the per-user client store (groups, message log, outbox, policy) on disk.
export {
  CLIENT_STORE_VERSION,
  ClientStore,
  type ClientStoreOptions,
} from './client-store.js';
export { type GroupPatch, type GroupStateResult, GroupStore, type NewGroup } from './group-store.js';
export {
  BatchedJsonWriter,
  readJsonFile,
  StoreError,
  type StoreErrorCode,
  writeJsonFileAtomic,
} from './json-file.js';
export {
  MessageLog,
  type MessageLogData,
  type MessageLogOptions,
  type NotificationResult,
  type RecordResult,
} from './message-log.js';
