// Public surface of services/pf/store: the PF's embedded database, groups, deferred store, batched writes.
export { type AppliedEffects, applyStoreEffects, type PfStores } from './apply-effects.js';
export {
  blob,
  type DatabaseOptions,
  openDatabase,
  type PfDatabase,
  readPragma,
  runTransaction,
  SCHEMA_VERSION,
  type SynchronousMode,
} from './database.js';
export {
  type BacklogCount,
  DEFERRED_ITEM_KINDS,
  type DeferredItem,
  type DeferredItemInput,
  type DeferredItemKind,
  DeferredStore,
  type DeferredStoreOptions,
  type EnqueueResult,
  type SetDeliveryStatusOptions,
} from './deferred-store.js';
export { DeferredWriter } from './deferred-writer.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { GroupStore } from './group-store.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export {
  backlogGroupsFor,
  type OpenStoresOptions,
  openStores,
  type StoreSnapshot,
  storeSnapshot,
} from './stores.js';
export { type BatchStats, WriteBatcher, type WriteBatcherOptions } from './write-batcher.js';
