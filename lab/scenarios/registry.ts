// The named flows of `cpm-lab run` and of the conformance suite: scenario files (scenarios/*.yaml, the format of
// docs/scenarios.md) run by the generic engine (file/). Each drives the lab through its API (exactly what a
// tester would do by hand), then checks the wire: the merged trace of its own messages.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/index.js';
import { fileScenario, parseScenarioFile } from './file/index.js';
import type { LabClient } from './lab-client.js';
import type { Scenario, ScenarioResult } from './types.js';

/** Where the built-in scenario files are: `scenarios/` of this package. */
export const BUILTIN_SCENARIO_DIR = join(packageRoot(), 'scenarios');

/** The built-ins, in the order the suite runs them (the deferred case first, the CSCF fault last but one). */
const BUILTIN = [
  'deferred-inactive',
  'active-session',
  'rejoin',
  'decline',
  'later',
  'unknown-group',
  'drop-and-return',
  'network-deregistration',
  'imdn-to-offline-sender',
  'membership-change',
  'reconnect-without-backlog',
];

export const SCENARIOS: readonly Scenario[] = BUILTIN.map((name) => {
  const file = join(BUILTIN_SCENARIO_DIR, `${name}.yaml`);
  return fileScenario(parseScenarioFile(readFileSync(file, 'utf8'), file));
});

export function findScenario(name: string): Scenario {
  const found = SCENARIOS.find((x) => x.name === name);
  if (!found)
    throw new Error(`no scenario "${name}" (scenarios: ${SCENARIOS.map((x) => x.name).join(', ')})`);
  return found;
}

export async function runScenario(
  name: string,
  lab: LabClient,
  step: (text: string) => void = () => {},
): Promise<ScenarioResult> {
  return findScenario(name).run({ lab, step });
}
