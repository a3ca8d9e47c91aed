// Scenario files (docs/scenarios.md): the YAML format, its JSON Schema, the loader with located errors, and
// the generic engine that runs them like the built-in scenarios.
export { fileScenario } from './engine.js';
export type { CheckSpec, ScenarioFile, StepSpec } from './format.js';
export {
  formatProblem,
  isScenarioFilePath,
  type LoadedScenarioFile,
  loadScenarioDir,
  loadScenarioFile,
  parseScenarioFile,
  ScenarioFileError,
  type ScenarioFileProblem,
} from './load.js';
export { SCENARIO_SCHEMA } from './schema.js';
