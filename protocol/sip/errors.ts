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
