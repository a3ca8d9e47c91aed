// Typed errors of the CPIM codec (RFC 3862). The parser throws only CpimParseError.

export type CpimParseErrorCode = 'too-large' | 'malformed' | 'header' | 'address' | 'datetime' | 'ns';

export class CpimParseError extends Error {
  override readonly name = 'CpimParseError';
  constructor(
    readonly code: CpimParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
