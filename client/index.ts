// Public surface of client/: the CPM client's domain logic (pure decisions, state machines), its store, the
// CpmClient library, its daemon (control API) and the control-API client the CLI verbs use.
export * from './domain/index.js';
export * from './store/index.js';
export {
  CpmClient,
  CpmClientError,
  type CpmClientErrorCode,
  type CpmClientEvents,
  type CpmClientOptions,
  type MsrpListen,
  type CpmClientState,
  type GroupUpdateCause,
  type InvitationInfo,
  type RejoinInfo,
  type SessionInfo,
} from './cpm-client.js';
export type { GroupSessionKind } from './node/group-session.js';
export type { ImdnSent } from './node/imdn-sender.js';
export {
  type OfflineReason,
  RegistrationFailed,
  type RegistrationStatus,
} from './node/registration.js';
export {
  CLIENT_ACCEPT_TYPES,
  registrationContactParams,
  sessionInviteHeaders,
  stableInstanceId,
} from './node/wire.js';
export { type ClientDaemonConfig, type ClientFlags, clientConfig } from './daemon/config.js';
export { ClientDaemon, httpErrorOf } from './daemon/daemon.js';
export {
  ClientControl,
  ControlApiError,
  type ControlErrorKind,
  type ControlTarget,
  type LabTopology,
  resolveControlUrl,
} from './daemon/control-client.js';
