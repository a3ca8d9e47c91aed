// The typed error of the lab's stores (the PF's database, the client's): store operations throw only this.

export type StoreErrorCode =
  | 'open-failed'
  | 'schema-too-new'
  | 'migration-failed'
  | 'unknown-group'
  | 'duplicate-group'
  | 'invalid-item'
  | 'closed'
  | 'corrupt'
  | 'io'
  | 'exists';

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
