// Public surface of the MSRP stack (RFC 4975, connection model RFC 6135).
export { type ByteRange, formatByteRange, parseByteRange } from './byte-range.js';
export { MsrpConnection, type MsrpConnectionEvents, type MsrpProtocolError } from './connection.js';
export { isAcceptedType, mediaTypeOf } from './content-type.js';
export { MsrpEndpoint, type MsrpEndpointEvents, type MsrpEndpointOptions } from './endpoint.js';
export {
  MsrpConnectError,
  MsrpSendError,
  type MsrpSendFailure,
  MsrpSerializeError,
  MsrpUriError,
  type MsrpUriErrorCode,
} from './errors.js';
export {
  type ContinuationFlag,
  type MsrpFrame,
  type MsrpHeader,
  type MsrpRequest,
  type MsrpResponse,
  type MsrpStatus,
  type ReportPolicy,
  STATUS_TEXT,
  failureReportOf,
  formatStatus,
  getHeader,
  newMessageId,
  parseStatus,
  successReportOf,
} from './frame.js';
export type {
  OutgoingMessage,
  OutgoingState,
  SendOptions,
  SendResult,
} from './outgoing.js';
export { DEFAULT_PARSER_LIMITS, MsrpParser, type MsrpParserLimits, type ParseEvent } from './parser.js';
export { ByteBudget, type ChunkOutcome, Reassembler, type ReassemblyLimits } from './reassembly.js';
export {
  bodyContainsEndLine,
  buildRequest,
  buildResponse,
  pickTransactionId,
  type RequestInit,
  serializeFrame,
} from './serializer.js';
export {
  type MessageAcceptor,
  type MsrpMessage,
  type MsrpReport,
  MsrpSession,
  type MsrpSessionEvents,
  type MsrpSessionOptions,
  type SessionState,
  type SetupRole,
} from './session.js';
export {
  MSRP_DEFAULT_PORT,
  type MsrpScheme,
  type MsrpUri,
  formatMsrpPath,
  formatMsrpUri,
  localSessionUri,
  msrpPathEquals,
  msrpUriEquals,
  newSessionId,
  parseMsrpPath,
  parseMsrpUri,
} from './uri.js';
