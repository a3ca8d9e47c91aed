// Public surface of protocol/sip/proxy: the RFC 3261 §16 proxy core and its pure request/response helpers.
export { ProxyBranch } from './branch.js';
export { isLoop, loopDetectingBranch, loopHash, statelessBranch } from './loop-detection.js';
export { defaultSendTarget, type NextHop, type NextHopResolver, resolveNextHop } from './next-hop.js';
export { ContextState, ProxyContext } from './proxy-context.js';
export { type ProxyForwardOptions, StatefulProxy, type StatefulProxyOptions } from './proxy-core.js';
export {
  type ForwardOptions,
  nextHopUri,
  popOwnVia,
  prepareForward,
  preprocessRoute,
  type ValidationFailure,
  validateProxiedRequest,
} from './request-processing.js';
export { chooseBestResponse, selectFinalResponse } from './response-context.js';
export {
  type BranchFailure,
  type BranchFailureInfo,
  BranchState,
  type BranchSummary,
  defaultFailureStatus,
  type FailureStatus,
  type ProxyOutcome,
  type ProxyTarget,
} from './types.js';
