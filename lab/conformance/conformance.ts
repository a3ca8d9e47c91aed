// runConformance: every scenario of the registry (or the given ones) against a lab, as a report.
import type { LabClient } from '../scenarios/lab-client.js';
import { runScenario, SCENARIOS } from '../scenarios/registry.js';
import type { Scenario } from '../scenarios/types.js';
import type { SutRun } from '../sut/index.js';
import type { ConformanceReport } from './report.js';
import { type ConformanceProgress, runScenarios, type ScenarioRunner } from './run.js';

export interface ConformanceOptions {
  lab: LabClient;
  /**
   * Default: every scenario of lab/scenarios/registry.ts (run through its runScenario), judging every clause.
   * Given scenarios judge only the clauses they claim (`cpm-lab conformance --scenario X`).
   */
  scenarios?: readonly Scenario[];
  onProgress?: (event: ConformanceProgress) => void;
  /** The implementation under test (docs/sut.md); default: the lab's own nodes are judged. */
  sut?: SutRun;
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const { lab } = options;
  const registryRunner: ScenarioRunner = (scenario, step) => runScenario(scenario.name, lab, step);
  return runScenarios({
    lab,
    scenarios: options.scenarios ?? SCENARIOS,
    ...(options.sut === undefined ? {} : { sut: options.sut }),
    ...(options.scenarios === undefined
      ? options.sut === undefined
        ? { runner: registryRunner }
        : {}
      : { clauses: [...new Set(options.scenarios.flatMap((s) => s.clauses))] }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
