// Public surface of protocol/sip/transport (RFC 3261 §18, RFC 3581, RFC 5626 flows). See SipTransportLayer.
export { TransportError, type TransportErrorCode, type TransportErrorContext } from './errors.js';
export type { FlowCloseReason } from './tcp-flow.js';
export {
  SipTransportLayer,
  type FlowClosed,
  type ListenerOptions,
  type MalformedInput,
  type TransportEvents,
  type TransportLayerOptions,
} from './transport-layer.js';
export type {
  Endpoint,
  FlowInfo,
  MessageSource,
  SendTarget,
  SentInfo,
  SipTransport,
  TransportKind,
} from './types.js';
export {
  DEFAULT_SIP_PORT,
  hostForVia,
  normalizeAddress,
  replaceTopVia,
  setTopViaTransport,
  stampReceived,
  tcpResponseFallback,
  udpResponseDestination,
} from './via-processing.js';
