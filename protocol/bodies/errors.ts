// Typed errors for message bodies (XML documents, multipart, media types). Parsers throw only BodyParseError.

export type BodyParseErrorCode =
  | 'too-large'
  | 'encoding'
  | 'doctype'
  | 'entity'
  | 'malformed-xml'
  | 'schema'
  | 'media-type'
  | 'headers'
  | 'multipart'
  | 'datetime';

export class BodyParseError extends Error {
  override readonly name = 'BodyParseError';
  constructor(
    readonly code: BodyParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
