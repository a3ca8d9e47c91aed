// Public surface of protocol/cpim: message/cpim (RFC 3862) on Buffers with NS-resolved header lookup.
export { type CpimAddress, formatCpimAddress, parseCpimAddress } from './address.js';
export { CpimParseError, type CpimParseErrorCode } from './errors.js';
export {
  CPIM_CONTENT_TYPE,
  type CpimInit,
  type CpimLimits,
  type CpimMessage,
  coreHeader,
  cpimCc,
  cpimContentType,
  cpimDateTime,
  cpimFrom,
  cpimSubject,
  cpimTo,
  createCpim,
  DEFAULT_MAX_CPIM_BYTES,
  findHeader,
  findHeaders,
  namespaceBindings,
  parseCpim,
  serializeCpim,
} from './message.js';
export {
  CPIM_HEADERS_NS,
  formatNs,
  IMDN_NS,
  type NsDeclaration,
  parseNs,
  type ResolvedName,
  resolveHeaderName,
} from './ns.js';
export { type MediaTyped, type Responder, requireCpimBody } from './uas.js';
