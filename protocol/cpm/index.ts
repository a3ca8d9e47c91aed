// Public surface of protocol/cpm: ICSIs, feature tags and caller preferences, +sip.instance, CPM IDs, and the
// clause registry of OMA CPM 7.3.11.
export {
  type CallerPredicate,
  type CallerPreferenceHeaders,
  contactFeatureSet,
  type FeatureSet,
  parseCallerPreferences,
  selectContacts,
} from './caller-prefs.js';
export {
  CLAUSE_IDS,
  CLAUSES,
  type Clause,
  type ClauseId,
  clauseHeading,
  type NormativeLevel,
  SPEC_DOCUMENT,
  type SubClauseId,
} from './clauses.js';
export { CpmParseError, type CpmParseErrorCode } from './errors.js';
export {
  decodeFeatureValues,
  encodeFeatureValue,
  encodeFeatureValues,
  formatAcceptContact,
  formatIcsiRefParam,
  hasIcsi,
  icsiRefs,
  percentDecode,
  setIcsiRef,
} from './feature-tags.js';
export {
  CPM_ICSIS,
  ICSI_CPM_DEFERRED,
  ICSI_CPM_LARGEMSG,
  ICSI_CPM_MSG,
  ICSI_CPM_SESSION,
  ICSI_REF_TAG,
  parseServiceHeader,
} from './icsi.js';
export {
  CONTRIBUTION_ID,
  CONVERSATION_ID,
  IN_REPLY_TO_CONTRIBUTION_ID,
  isValidCpmId,
  looksLikeUuid,
  MAX_CPM_ID_LENGTH,
  newContributionId,
  newConversationId,
  normalizeCpmId,
  sameCpmId,
} from './ids.js';
export {
  formatSipInstanceParam,
  getSipInstance,
  newInstanceId,
  SIP_INSTANCE_PARAM,
  sameInstance,
  setSipInstance,
} from './instance.js';
