// Public surface of protocol/sdp: MSRP media descriptions (RFC 4975 §8) and their offer/answer rules.
export { SdpParseError, type SdpParseErrorCode } from './errors.js';
export {
  buildMsrpSdp,
  DEFAULT_MAX_SDP_BYTES,
  type Direction,
  type MsrpMediaDescription,
  type MsrpTransport,
  parseMsrpSdp,
  type SdpSessionOptions,
  type SetupRole,
} from './msrp-sdp.js';
export {
  answerDirection,
  answerSetup,
  buildMsrpAnswer,
  connectingSide,
  isAcceptableAnswerDirection,
  isAcceptableAnswerSetup,
} from './offer-answer.js';
