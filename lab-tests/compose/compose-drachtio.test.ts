// The Compose lab with the PF on drachtio-server (docker-compose.yml + docker-compose.drachtio.yml): a
// drachtio-server container beside the PF, the PF as its drachtio-srf application, the CSCF routing to
// drachtio-server. The conformance suite runs through it and every clause passes; the PF's SIP reaches the
// trace through drachtio-server's HEP3 capture. The image is CPM_LAB_DRACHTIO_IMAGE (CI builds
// cpm-lab/drachtio-server:local from source: scripts/make-drachtio-image.sh); a missing image fails the test
// with what to run, never skips it.
import { execFileSync } from 'node:child_process';
import type { StartedDockerComposeEnvironment } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type ConformanceReport,
  clauseVerdict,
  explainClause,
  runConformance,
} from '../../lab/conformance/index.js';
import type { LabClient } from '../../lab/scenarios/lab-client.js';
import { CLAUSE_IDS } from '../../lab/scenarios/types.js';
import { containerLogs, startComposeLab } from './compose-lab.js';
import { COMPOSE_FILE, DRACHTIO_COMPOSE_FILE } from './paths.js';
import { projectVolumes } from './preflight.js';

const setup = inject('composeSetup');
const image = process.env.CPM_LAB_DRACHTIO_IMAGE ?? 'cpm-lab/drachtio-server:local';

describe('Compose lab with the PF on drachtio-server (docker-compose.drachtio.yml)', () => {
  let environment: StartedDockerComposeEnvironment | undefined;
  let lab: LabClient;
  let report: ConformanceReport;
  let diagnostics = '';

  beforeAll(async () => {
    try {
      execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
    } catch {
      throw new Error(
        `no drachtio-server image ${image}: build it with scripts/make-drachtio-image.sh, or set CPM_LAB_DRACHTIO_IMAGE`,
      );
    }
    const up = await startComposeLab(
      setup,
      [COMPOSE_FILE, DRACHTIO_COMPOSE_FILE],
      { CPM_LAB_DRACHTIO_IMAGE: image },
      ['drachtio'],
    );
    environment = up.environment;
    lab = up.lab;
    console.info(`Compose lab with the PF on drachtio-server up in ${up.seconds.toFixed(1)} s at ${lab.url}`);
    report = await runConformance({ lab });
    if (!report.passed) diagnostics = await containerLogs(setup, up.environment, ['drachtio', 'pf', 'cscf']);
  }, 900_000);

  afterAll(async () => {
    if (!environment) return;
    await environment.down({ removeVolumes: true, timeout: 10_000 });
    expect(await projectVolumes()).toEqual([]);
  });

  it("the PF's SIP engine is the drachtio-server container (report and PF state), its SIP endpoint drachtio's", async () => {
    expect(report.pfSipEngine).toMatch(/^drachtio-server at drachtio:9022, drachtio-srf \d+\.\d+\.\d+$/);
    const state = await lab.node('pf').get<{ sip: { tcp: { port: number } } }>('/state');
    expect(state.sip.tcp.port).toBe(5070);
  });

  it("the PF's SIP messages are in the trace (HEP3 from drachtio-server): the PF sent INVITEs and received REGISTERs", async () => {
    const hops = await lab.hops();
    const sip = hops.filter((h) => h.protocol === 'sip');
    expect(sip.some((h) => h.from === 'pf' && /^INVITE /.test(h.startLine))).toBe(true);
    expect(sip.some((h) => h.to === 'pf' && /^REGISTER /.test(h.startLine))).toBe(true);
  });

  for (const clause of CLAUSE_IDS) {
    it(`${clause}: passes with the PF on drachtio-server in containers`, () => {
      expect(clauseVerdict(report, clause).verdict, `${explainClause(report, clause)}\n${diagnostics}`).toBe(
        'pass',
      );
    });
  }
});
