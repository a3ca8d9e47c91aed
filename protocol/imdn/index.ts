// Public surface of protocol/imdn: IMDN documents (RFC 5438), imdn.* CPIM headers, IMDN-in-CPIM.
export {
  buildImdn,
  type DeliveryStatus,
  type DisplayStatus,
  IMDN_CONTENT_TYPE,
  IMDN_CONTENT_TYPE_LEGACY,
  IMDN_XML_NS,
  type ImdnDocument,
  type ImdnNotification,
  isImdnContentType,
  parseImdn,
  type ProcessingStatus,
} from './document.js';
export { ImdnParseError, type ImdnParseErrorCode } from './errors.js';
export {
  type DispositionRequest,
  dispositionRequests,
  formatDispositionNotification,
  IMDN_NS_DECLARATION,
  imdnHeaders,
  imdnMessageId,
  imdnRecordRoute,
  imdnRouteHeaders,
  newImdnMessageId,
  parseDispositionNotification,
} from './headers.js';
export { buildImdnCpim, type ImdnCpimInit, isImdnCpim, readImdnCpim } from './notification.js';
