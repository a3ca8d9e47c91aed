// Public surface of lab/scenarios: the named flows (scenario files, scenarios/*.yaml), how they run, scenario
// files of your own (file/), and the lab API client they drive the lab with.
export { LabClient, LabRequestError, type TopologyNode, type TopologyPeer, waitUntil } from './lab-client.js';
export { BUILTIN_SCENARIO_DIR, findScenario, runScenario, SCENARIOS } from './registry.js';
export {
  fileScenario,
  formatProblem,
  isScenarioFilePath,
  loadScenarioDir,
  loadScenarioFile,
  parseScenarioFile,
  SCENARIO_SCHEMA,
  ScenarioFileError,
  type ScenarioFileProblem,
} from './file/index.js';
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
