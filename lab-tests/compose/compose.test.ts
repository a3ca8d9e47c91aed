// The Compose lab end to end: docker-compose.yml built from the Dockerfile and brought up with testcontainers
// (every service healthy; the `lab` service turns healthy once it has provisioned the topology's groups),
// then driven through the published lab API exactly as `cpm-lab run ... --lab <url>` drives it. SIP and
// MSRP cross the containers' network; the test reads the wire through the nodes' traces.
import type { StartedDockerComposeEnvironment } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LabClient, waitUntil } from '../../lab/scenarios/lab-client.js';
import {
  type ConformanceReport,
  clauseVerdict,
  explainClause,
  runConformance,
} from '../../lab/conformance/index.js';
import { SCENARIOS } from '../../lab/scenarios/registry.js';
import { CLAUSE_IDS } from '../../lab/scenarios/types.js';
import type { ScenarioResult } from '../../lab/scenarios/types.js';
import { provisionedGroupIds } from '../../lab/topology/index.js';
import { startComposeLab } from './compose-lab.js';
import { COMPOSE_FILE } from './paths.js';
import { projectVolumes } from './preflight.js';

const setup = inject('composeSetup');

interface TraceRecord {
  direction: 'in' | 'out';
  protocol: string;
  startLine?: string;
  remote: { address: string; port: number };
  raw: string;
}

function sipText(record: TraceRecord): string {
  return Buffer.from(record.raw, 'base64').toString('latin1');
}

function failureReport(result: ScenarioResult): string {
  const failed = result.checks
    .filter((c) => !c.passed)
    .map((c) => `  ✗ ${c.clause ? `[${c.clause}] ` : ''}${c.description}${c.detail ? ` — ${c.detail}` : ''}`);
  return [
    `scenario ${result.name} failed against the Compose lab`,
    ...(result.error ? [`  error: ${result.error}`] : []),
    ...(result.checks.length === 0 ? ['  (no checks ran)'] : failed),
  ].join('\n');
}

describe('Compose lab (docker-compose.yml, one image, lab API on a published port)', () => {
  let environment: StartedDockerComposeEnvironment | undefined;
  let lab: LabClient;

  beforeAll(async () => {
    const up = await startComposeLab(setup, [COMPOSE_FILE]);
    environment = up.environment;
    lab = up.lab;
    console.info(
      `Compose lab up in ${up.seconds.toFixed(1)} s (build included; ` +
        `compose v${setup.compose.version}, engine ${setup.engine}, NODE_IMAGE=${setup.nodeImage}) at ${lab.url}`,
    );
  });

  afterAll(async () => {
    if (!environment) return;
    await environment.down({ removeVolumes: true, timeout: 10_000 });
    // The stores are named volumes: a later `up` must start from empty ones.
    expect(await projectVolumes()).toEqual([]);
  });

  it('security model: the Compose lab requires its bearer token (401 without it), /health stays open', async () => {
    const url = lab.url;
    expect((await fetch(`${url}/state`)).status).toBe(401);
    expect((await fetch(`${url}/state`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await lab.get<{ nodes: object }>('/state')).nodes).toBeDefined();
  });

  it('the lab API lists every node, and the lab service provisioned group "team" with deterministic IDs', async () => {
    const nodes = await lab.nodes();
    expect(nodes.map((n) => n.name).sort()).toEqual(['alice', 'bob', 'carol', 'cscf', 'pf']);
    const team = await lab
      .node('pf')
      .get<{ id: string; conversationId: string; participants: unknown[] }>('/groups/team');
    expect(team.participants).toHaveLength(3);
    // Same derivation as lab/topology/group-ids.ts: the embedded lab and the Compose lab agree.
    expect(team.conversationId).toBe(provisionedGroupIds('ims.lab', 'team').conversationId);
    for (const user of ['alice', 'bob', 'carol']) {
      const groups = await lab.node(user).get<Array<{ conversationId?: string }>>('/groups');
      expect(groups.map((g) => g.conversationId)).toContain(team.conversationId);
      const state = await lab.node(user).get<{ registration: { state: string } }>('/state');
      expect(state.registration.state).toBe('online');
    }
  });

  it('D1: a message to "team" while alice is offline is stored by the PF (in its container) and delivered when she returns', async () => {
    const text = `deferred across containers ${Date.now()}`;
    await lab.node('alice').post('/offline', { mode: 'deregister' });
    const sent = await lab.node('bob').post<{ messageId: string }>('/groups/team/messages', { text });

    const backlog = await waitUntil('the PF to store bob’s message for alice', async () => {
      const b = await lab
        .node('pf')
        .get<{ items: Array<{ messageId?: string; sender: string }> }>('/backlog/alice');
      return b.items.find((i) => i.messageId === sent.messageId);
    });
    expect(backlog.sender).toBe('sip:bob@ims.lab');

    // The group session goes inactive; alice's return is what triggers the PF's deferred invitation.
    await lab.node('pf').post('/groups/team/end');
    await lab.node('alice').post('/online');

    const received = await waitUntil('alice to receive the deferred message', async () => {
      const messages = await lab
        .node('alice')
        .get<Array<{ messageId: string; text?: string; arrivedOn?: string }>>('/messages');
      return messages.find((m) => m.messageId === sent.messageId);
    });
    expect(received.text).toBe(text);
    expect(received.arrivedOn).toBe('deferred');

    // The PF's store is drained, and alice's delivery notification made it back to bob.
    await waitUntil('the PF backlog for alice to drain', async () => {
      const b = await lab.node('pf').get<{ items: unknown[] }>('/backlog/alice');
      return b.items.length === 0;
    });
    await waitUntil('bob to see alice’s delivery notification', async () => {
      const sentList = await lab
        .node('bob')
        .get<Array<{ messageId: string; recipients: Record<string, { delivery?: string }> }>>('/sent');
      return (
        sentList.find((s) => s.messageId === sent.messageId)?.recipients['sip:alice@ims.lab']?.delivery ===
        'delivered'
      );
    });

    // The wire: alice got the PF's INVITE from the CSCF's container over the lab network (not loopback),
    // with the CSCF's Record-Route and an MSRP path naming the PF by its service name.
    const { records } = await lab.node('alice').get<{ records: TraceRecord[] }>('/trace?limit=10000');
    const invite = records
      .filter((r) => r.protocol === 'sip' && r.direction === 'in' && r.startLine?.startsWith('INVITE '))
      .map((r) => ({ r, text: sipText(r) }))
      .filter(({ text }) => /^From: <sip:group-team@ims\.lab>/im.test(text))
      .at(-1);
    expect(invite, 'no INVITE from group-team in alice’s trace').toBeDefined();
    expect(invite!.r.remote.address).not.toMatch(/^127\./);
    expect(invite!.text).toMatch(/^Record-Route: <sip:[^>]*;lr>/im);
    expect(invite!.text).toMatch(/^a=path:msrp:\/\/pf:7394\//m);
  });

  // The conformance suite of the embedded lab (lab-tests/conformance), run once against the containers.
  describe('conformance suite against the Compose lab', () => {
    let report: ConformanceReport;
    const steps = new Map<string, string[]>();
    beforeAll(async () => {
      report = await runConformance({
        lab,
        onProgress: (p) => {
          if (p.type === 'step') steps.set(p.scenario, [...(steps.get(p.scenario) ?? []), p.text]);
        },
      });
    }, 600_000);

    for (const scenario of SCENARIOS) {
      it(`scenario ${scenario.name}: ${scenario.title}`, () => {
        const result = report.scenarios.find((r) => r.name === scenario.name);
        expect(result, `${scenario.name} did not run`).toBeDefined();
        const trail = (steps.get(scenario.name) ?? []).join(' → ');
        expect(result!.passed, `${failureReport(result!)}\n  steps: ${trail}`).toBe(true);
      });
    }

    for (const clause of CLAUSE_IDS) {
      it(`${clause}: passes against the containers`, () => {
        expect(clauseVerdict(report, clause).verdict, explainClause(report, clause)).toBe('pass');
      });
    }
  });
});
