// Public surface of protocol/bodies: safe XML, conference-info, group state, resource-lists, multipart, MIME.
export { BodyParseError, type BodyParseErrorCode } from './errors.js';
export {
  attr,
  buildXml,
  childElement,
  childElements,
  childText,
  DEFAULT_MAX_XML_BYTES,
  decodeXmlReferences,
  expectRoot,
  parseXml,
  requireAttr,
  type XmlBuildNode,
  type XmlElement,
  type XmlLimits,
} from './xml.js';
export { formatDateTime, parseDateTime } from './datetime.js';
export {
  type Disposition,
  formatMediaType,
  type MediaType,
  parseDisposition,
  parseMediaType,
} from './media-type.js';
export { formatHeaderBlock, getHeader, type HeaderField, readHeaderBlock } from './headers.js';
export {
  type BodyPart,
  bodyOfType,
  buildMultipart,
  DEFAULT_MAX_MULTIPART_BYTES,
  DEFAULT_MAX_PARTS,
  isValidBoundary,
  type MultipartLimits,
  multipartBoundary,
  parseMultipart,
} from './multipart.js';
export {
  applyConferenceInfo,
  buildConferenceInfo,
  CONFERENCE_INFO_CONTENT_TYPE,
  CONFERENCE_INFO_NS,
  type ConferenceEndpoint,
  type ConferenceInfo,
  type ConferenceMedia,
  type ConferenceUser,
  type ElementState,
  type EndpointStatus,
  type JoiningMethod,
  type MediaStatus,
  parseConferenceInfo,
} from './conference-info.js';
export {
  buildGroupState,
  GROUP_STATE_CONTENT_TYPE,
  type GroupState,
  type GroupStateParticipant,
  parseGroupState,
} from './group-state.js';
export {
  allEntries,
  buildResourceLists,
  COPY_CONTROL_NS,
  type CopyControl,
  parseResourceLists,
  RESOURCE_LISTS_CONTENT_TYPE,
  RESOURCE_LISTS_NS,
  recipientList,
  type ResourceList,
  type ResourceListEntry,
  type ResourceLists,
} from './resource-lists.js';
