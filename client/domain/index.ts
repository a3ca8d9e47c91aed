// Public surface of client/domain: the CPM client's decision logic as pure functions and state machines.
export type { ClauseId, ClauseRef } from './clauses.js';
export {
  findGroupByConferenceUri,
  findGroupByOneId,
  findGroupByIds,
  type GroupRecord,
  type GroupSessionState,
  groupKey,
  normalizeAor,
  type Participant,
  sameAor,
} from './group.js';
export { type InvitationPolicy, type PolicySettings, policyFor } from './policy.js';
export {
  type AcceptDecision,
  decideInvitation,
  type InvitationContext,
  type InvitationDecision,
  type InvitationKind,
  type InvitationService,
  invitationIcsis,
  type LocalEffect,
  type RejectDecision,
} from './invitation.js';
export {
  type GroupOutboxState,
  INITIAL_OUTBOX,
  mayRejoin,
  type OutboxCommand,
  type OutboxEvent,
  type OutboxState,
  type OutboxTransition,
  type OutgoingMessage,
  outboxTransition,
  restoreOutbox,
  runOutbox,
  type SessionPhase,
} from './outbox.js';
export {
  DEFAULT_CONFERENCE_FACTORY_URI,
  type FactoryRestartRequest,
  factoryRestartRequest,
  type RejoinRequest,
  rejoinRequest,
} from './session-requests.js';
export {
  type ArrivalSession,
  notificationFromCpim,
  type ReceivedMessage,
  type ReceivedNotification,
  type RecipientStatus,
  receivedFromCpim,
  type SentMessage,
} from './messages.js';
export {
  type DispositionEvent,
  type ImdnRoute,
  type ImdnRouteInput,
  type MsrpRoute,
  type NoRoute,
  routeDisposition,
  type SipMessageRoute,
} from './imdn-routing.js';
