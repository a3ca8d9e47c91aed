// The named flows of `cpm-lab run` and of the conformance suite, one file each under flows/. Each drives the
// lab through its API (exactly what a tester would do by hand), then checks the wire: the merged trace of
// its own messages.
import { activeSession } from './flows/active-session.js';
import { decline } from './flows/decline.js';
import { deferredInactive } from './flows/deferred-inactive.js';
import { imdnToOfflineSender } from './flows/imdn-to-offline-sender.js';
import { later } from './flows/later.js';
import { membershipChange } from './flows/membership-change.js';
import { reconnectWithoutBacklog } from './flows/reconnect-without-backlog.js';
import { dropAndReturn, networkDeregistration } from './flows/registration-lost.js';
import { rejoin } from './flows/rejoin.js';
import { unknownGroup } from './flows/unknown-group.js';
import type { LabClient } from './lab-client.js';
import type { Scenario, ScenarioResult } from './types.js';

export const SCENARIOS: readonly Scenario[] = [
  deferredInactive,
  activeSession,
  rejoin,
  decline,
  later,
  unknownGroup,
  dropAndReturn,
  networkDeregistration,
  imdnToOfflineSender,
  membershipChange,
  reconnectWithoutBacklog,
];

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
