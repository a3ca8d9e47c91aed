// Scenarios take their users from the lab's topology: the roles alice, bob and carol are played by whichever
// clients the lab has (a client of the same name keeps its role), and a lab with too few clients is told so
// before anything runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findScenario, LabClient } from '../../lab/scenarios/index.js';
import { startEmbeddedTestLab, type TestEmbeddedLab } from '../../test-support/embedded-lab.js';

function startLab(users: string[]) {
  return startEmbeddedTestLab({
    clients: users.map((user) => ({ user })),
    groups: [{ name: 'crew', participants: users.slice(0, 2) }],
  });
}

describe('scenarios on a topology with other user names', () => {
  let started: TestEmbeddedLab;
  let client: LabClient;

  beforeAll(async () => {
    // bob keeps his role; alice and carol are played by dave and erin.
    started = await startLab(['dave', 'bob', 'erin']);
    client = new LabClient(started.lab.url);
  }, 30_000);

  afterAll(async () => {
    await started?.close();
  });

  for (const name of ['deferred-inactive', 'imdn-to-offline-sender', 'drop-and-return']) {
    it(`${name} passes with alice → dave, bob → bob, carol → erin`, async () => {
      const steps: string[] = [];
      const result = await findScenario(name).run({ lab: client, step: (t) => steps.push(t) });
      const failed = result.checks.filter((c) => !c.passed).map((c) => `${c.description}: ${c.detail}`);
      expect(result.error, steps.join('\n')).toBeUndefined();
      expect(failed).toEqual([]);
      expect(result.passed).toBe(true);
      expect(steps[0]).toBe('roles: alice → dave, carol → erin');
      // The ladder and the evidence keep the lab's own names.
      expect(result.hops.some((h) => h.to === 'dave')).toBe(true);
      expect(result.hops.some((h) => h.to === 'alice' || h.from === 'alice')).toBe(false);
    }, 30_000);
  }
});

describe('a lab with too few clients for a scenario', () => {
  it('the scenario fails before it runs, saying which roles it needs and which clients the lab has', async () => {
    const started = await startLab(['dave', 'erin']);
    try {
      const result = await findScenario('deferred-inactive').run({
        lab: new LabClient(started.lab.url),
        step: () => {},
      });
      expect(result.passed).toBe(false);
      expect(result.error).toBe(
        'the scenario needs 3 clients (roles alice, bob, carol); the lab has 2: dave, erin (add clients to its topology, or let the scenario create them for the run: docs/scenarios.md)',
      );
      expect(result.hops).toEqual([]);
    } finally {
      await started.close();
    }
  }, 30_000);
});
