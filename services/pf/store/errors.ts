// Typed errors of the PF's store. Store operations throw only StoreError (wrapping the driver's SqliteError).

export type StoreErrorCode =
  | 'open-failed'
  | 'schema-too-new'
  | 'migration-failed'
  | 'unknown-group'
  | 'duplicate-group'
  | 'invalid-item'
  | 'closed';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
