// The embedded lab: all nodes in one process.
export {
  EmbeddedLab,
  type EmbeddedLabOptions,
  type EmbeddedNodeInfo,
  embeddedClientsThatFit,
} from './embedded-lab.js';
export { provisionLab } from './provision.js';
export { type PrivateLab, startPrivateLab } from './private-lab.js';
