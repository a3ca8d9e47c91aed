// runConformance: every scenario of the registry (or the given ones) against a lab, as a report.
import type { LabClient } from '../scenarios/lab-client.js';
import { runScenario, SCENARIOS } from '../scenarios/registry.js';
import type { Scenario } from '../scenarios/types.js';
import type { ConformanceReport } from './report.js';
import { type ConformanceProgress, runScenarios, type ScenarioRunner } from './run.js';

export interface ConformanceOptions {
  lab: LabClient;
  /** Default: every scenario of lab/scenarios/registry.ts (run through its runScenario). */
  scenarios?: readonly Scenario[];
  onProgress?: (event: ConformanceProgress) => void;
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const { lab } = options;
  const registryRunner: ScenarioRunner = (scenario, step) => runScenario(scenario.name, lab, step);
  return runScenarios({
    lab,
    scenarios: options.scenarios ?? SCENARIOS,
    ...(options.scenarios === undefined ? { runner: registryRunner } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
