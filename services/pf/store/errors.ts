// Typed errors of the PF's store: the lab's one StoreError (runtime/store-error.ts).
export { StoreError, type StoreErrorCode } from '../../../runtime/index.js';
