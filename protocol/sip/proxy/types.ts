// Types shared by the proxy core modules (RFC 3261 §16).
import type { SipResponse } from '../message.js';
import type { LocalFailure } from '../transaction/index.js';
import type { SendTarget, TransportError } from '../transport/index.js';

/** One destination of a proxied request (RFC 3261 §16.5 target set). */
export interface ProxyTarget {
  /** New Request-URI (§16.6 step 2), e.g. a registered Contact; absent: keep the Request-URI. */
  uri?: string;
  /**
   * Where to send it (e.g. the TCP flow the contact registered from: `{ transport: 'tcp', address, port,
   * flowId }`); absent: from the top Route or the Request-URI (§16.6 steps 6–7) via the next-hop resolver.
   */
  next?: SendTarget;
}

/** Why a branch ended without a received final response (RFC 3261 §16.7, §16.8, §8.1.3.1). */
export type BranchFailure = LocalFailure | 'timer-c' | 'no-route';

export interface BranchFailureInfo {
  failure: BranchFailure;
  target: ProxyTarget;
  /** The transport error behind a 'transport-error' failure ('flow-closed', 'connect-failed'...). */
  error?: TransportError;
}

/** The status a failed branch counts as in response selection; default: defaultFailureStatus. */
export type FailureStatus = (info: BranchFailureInfo) => number;

/** §16.7 / §16.8: a timeout (Timer B, Timer C without provisional) is a 408, a transport error a 503. */
export function defaultFailureStatus(info: BranchFailureInfo): number {
  switch (info.failure) {
    case 'timeout':
    case 'timer-c':
      return 408;
    case 'no-route':
      return 404;
    case 'transport-error':
    case 'closed':
      return 503;
  }
}

export enum BranchState {
  /** Request sent, nothing heard yet (client transaction Calling / Trying). */
  Trying = 'Trying',
  /** A provisional response came (a CANCEL may now be sent, §9.1). */
  Proceeding = 'Proceeding',
  /** A final response came, or the branch failed locally. */
  Completed = 'Completed',
}

export interface BranchSummary {
  target: ProxyTarget;
  state: BranchState;
  /** The final response of the branch, upstream Vias only (ours popped); a local one if it failed. */
  response?: SipResponse;
  failure?: BranchFailure;
  transportError?: TransportError;
  /** A CANCEL was requested for the branch (§16.10, §16.7 step 10, Timer C). */
  cancelled: boolean;
}

export interface ProxyOutcome {
  /** What went upstream as final response: the first 2xx, or the best non-2xx (§16.7 step 6). */
  response: SipResponse;
  /** The branches when the outcome settled (after a 2xx, some may still be pending). */
  branches: BranchSummary[];
  /** A CANCEL for the request arrived from upstream (§16.10). */
  cancelled: boolean;
  /** Settles when every branch has completed (after a 2xx, the CANCELled ones finish later). */
  finished: Promise<BranchSummary[]>;
}
