// The Compose lab with Kamailio as the CSCF (docker-compose.yml + docker-compose.kamailio.yml): the `cscf`
// service is Kamailio from Debian's package with interop/kamailio/kamailio.cfg, the PF and the clients are the
// usual containers. The conformance suite runs through it and every clause passes.
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
import { COMPOSE_FILE, KAMAILIO_COMPOSE_FILE } from './paths.js';
import { projectVolumes } from './preflight.js';

const setup = inject('composeSetup');

describe('Compose lab with Kamailio as the CSCF (docker-compose.kamailio.yml)', () => {
  let environment: StartedDockerComposeEnvironment | undefined;
  let lab: LabClient;
  let report: ConformanceReport;
  /** On a failed run: the last log lines of the Kamailio and PF containers, for the assertion messages. */
  let diagnostics = '';

  beforeAll(async () => {
    // The Kamailio image is built on the same Debian base as the lab image (CI: the local stand-in).
    const up = await startComposeLab(setup, [COMPOSE_FILE, KAMAILIO_COMPOSE_FILE], {
      CPM_LAB_KAMAILIO_BASE_IMAGE: process.env.CPM_LAB_KAMAILIO_BASE_IMAGE ?? setup.nodeImage,
    });
    environment = up.environment;
    lab = up.lab;
    console.info(`Compose lab with Kamailio up in ${up.seconds.toFixed(1)} s at ${lab.url}`);
    report = await runConformance({ lab });
    if (!report.passed) diagnostics = await containerLogs(setup, up.environment, ['cscf', 'pf']);
  }, 900_000);

  afterAll(async () => {
    if (!environment) return;
    await environment.down({ removeVolumes: true, timeout: 10_000 });
    expect(await projectVolumes()).toEqual([]);
  });

  it('the lab API lists Kamailio as the CSCF peer (no control API), the PF and the clients as nodes', async () => {
    expect((await lab.nodes()).map((n) => n.name).sort()).toEqual(['alice', 'bob', 'carol', 'pf']);
    const [peer] = await lab.peers();
    expect(peer).toMatchObject({ name: 'cscf', role: 'cscf', product: 'Kamailio (Debian package)' });
    expect(peer!.sip).toMatch(/^\d+\.\d+\.\d+\.\d+:5060$/);
    expect(report.cscf).toMatch(/^Kamailio \(Debian package\) at /);
  });

  for (const clause of CLAUSE_IDS) {
    it(`${clause}: passes through Kamailio in containers`, () => {
      expect(clauseVerdict(report, clause).verdict, `${explainClause(report, clause)}\n${diagnostics}`).toBe(
        'pass',
      );
    });
  }
});
