// Public surface of services/pf/domain: the PF's pure group, delivery-planning and invitation-outcome logic.
export { aorKey, sameUser } from './addresses.js';
export { DELIVERY_STATUSES, type DeliveryRecord, type DeliveryStatus } from './delivery.js';
export {
  type BacklogGroup,
  type DeliveryInvitation,
  type DeliveryPlan,
  invitationFor,
  type MediaDirection,
  planDeliveries,
  type RegistrationChange,
  type SkipReason,
} from './delivery-planner.js';
export {
  groupStateBody,
  groupStateFor,
  LAB_GROUP_TYPE,
  participantRemovedNotice,
} from './group-state-object.js';
export {
  addParticipants,
  conferenceUriFor,
  createGroup,
  findParticipant,
  type Group,
  type GroupParticipant,
  groupIdFromConferenceUri,
  isMember,
  isValidGroupId,
  LAB_DOMAIN,
  type LastSession,
  members,
  type NewGroupInput,
  newGroupId,
  nextStateTimestamp,
  type ParticipantInput,
  type ParticipantStatus,
  removeParticipant,
  type SessionState,
} from './groups.js';
export {
  decideInvitationOutcome,
  type InvitationResult,
  type NodeEffect,
  type OutcomeDecision,
  type OutcomeDisposition,
  type OutcomeInput,
  outcomeLabel,
  type StoreEffect,
} from './invitation-outcome.js';
export { type CpimPayloadInfo, describeCpimPayload } from './deferred-payload.js';
export {
  CONFERENCE_FACTORY_URI,
  classifyGroupInvite,
  type GroupInvite,
  type GroupInviteDecision,
  type GroupLookup,
} from './group-invite.js';
