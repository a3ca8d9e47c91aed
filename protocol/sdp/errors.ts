// Typed errors of the MSRP SDP codec. The parser throws only SdpParseError.

export type SdpParseErrorCode =
  | 'too-large'
  | 'malformed'
  | 'no-msrp-media'
  | 'missing-attribute'
  | 'bad-attribute';

export class SdpParseError extends Error {
  override readonly name = 'SdpParseError';
  constructor(
    readonly code: SdpParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
