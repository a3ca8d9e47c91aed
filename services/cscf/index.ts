// The mock CSCF: public surface.
export { type CscfConfig, type CscfFlags, cscfConfig } from './config.js';
export { Cscf, type CscfOptions, type CscfState, type BindingState } from './cscf.js';
export { type Binding, type BindingFlow, Registrar, type RegisterOutcome } from './registrar.js';
export { route, type RouteDecision, type RoutingContext, type ServiceRoute } from './routing.js';
export { buildThirdPartyRegister } from './third-party-register.js';
