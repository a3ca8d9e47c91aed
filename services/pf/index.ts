// Public surface of services/pf: the mock CPM Participating/Controlling Function node, its domain logic and store.
export * from './domain/index.js';
export * from './store/index.js';
export {
  DEFAULT_GROUPS,
  type GroupSpec,
  type PfConfig,
  type PfFlags,
  parseGroupSpecs,
  pfConfig,
} from './config.js';
export { ConferenceEvents, fullConferenceInfo } from './conference-events.js';
export { DeliveryInterrupted, flushBacklog } from './deferred-delivery.js';
export { GONE_REASON, GroupSession, type GroupSessionState, type SessionEndReason } from './group-session.js';
export {
  focusContact,
  invitationHeaders,
  offerSdp,
  PF_ACCEPT_TYPES,
  PF_ACCEPT_WRAPPED_TYPES,
} from './invitations.js';
export { Leg, type LegEndReason, type LegMode } from './leg.js';
export {
  type InFlightDelivery,
  type PfGroupState,
  PfNode,
  type PfOptions,
  type PfState,
  type ProvisionInput,
  readInviteBody,
} from './pf.js';
export { RegistrationWatch, registerExpires } from './registration-watch.js';
