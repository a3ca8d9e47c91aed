// Public surface of lab/scenarios: the named flows (one file each under flows/), how they run, and the lab
// API client they drive the lab with.
export { LabClient, LabRequestError, type TopologyNode, type TopologyPeer, waitUntil } from './lab-client.js';
export { findScenario, runScenario, SCENARIOS } from './registry.js';
export {
  CAPABILITY_REASONS,
  type Check,
  CLAUSE_IDS,
  type ClauseId,
  type LabCapability,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from './types.js';
