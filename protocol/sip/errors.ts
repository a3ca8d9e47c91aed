// Typed errors of the SIP stack. The parser throws only SipParseError; callers catch it at the socket.

export type SipParseErrorCode =
  | 'start-line'
  | 'header'
  | 'missing-header'
  | 'cseq'
  | 'content-length'
  | 'too-large'
  | 'uri'
  | 'via'
  | 'name-addr'
  | 'params'
  | 'nul-byte'
  | 'version';

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  constructor(
    readonly code: SipParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A message that cannot go on the wire as it is: a CR, LF or NUL in a header value, the Request-URI or the
 * reason phrase, or a header name that is not a token. Such bytes would end the header early and let the rest
 * be read as headers (or a whole request) of its own: header injection. Nothing is sent.
 */
export class SipSerializeError extends Error {
  override readonly name = 'SipSerializeError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
