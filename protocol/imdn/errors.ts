// Typed errors of the IMDN codec (RFC 5438). Parsers throw only ImdnParseError.

export type ImdnParseErrorCode = 'too-large' | 'xml' | 'schema' | 'not-imdn';

export class ImdnParseError extends Error {
  override readonly name = 'ImdnParseError';
  constructor(
    readonly code: ImdnParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
