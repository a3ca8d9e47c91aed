// Public surface of the SIP stack (RFC 3261 and friends).
export * from './builders.js';
export * from './cseq.js';
export * from './errors.js';
export * from './header-names.js';
export * from './message.js';
export * from './name-addr.js';
export * from './params.js';
export * from './parser.js';
export * from './serializer.js';
export * from './uri.js';
export * from './via.js';
export * from './auth/index.js';
export * from './dialog/index.js';
export * from './transaction/index.js';
export * from './transport/index.js';
export * from './proxy/index.js';
export * from './ua/index.js';
