// Random identifiers for the protocol stacks (one CSPRNG pool).
export { randomHex, takeRandomBytes } from './pool.js';
