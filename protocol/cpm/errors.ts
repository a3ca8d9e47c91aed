// Typed errors of protocol/cpm helpers.

export type CpmParseErrorCode = 'caller-prefs' | 'id';

export class CpmParseError extends Error {
  override readonly name = 'CpmParseError';
  constructor(
    readonly code: CpmParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
