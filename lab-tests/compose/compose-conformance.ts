// A Compose lab variant (docker-compose.yml plus an override) brought up once per test file, the conformance
// suite run through it, and a test per clause: what the Kamailio and drachtio Compose tests share.
import type { StartedDockerComposeEnvironment } from 'testcontainers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ConformanceReport,
  clauseVerdict,
  explainClause,
  runConformance,
} from '../../lab/conformance/index.js';
import type { LabClient } from '../../lab/scenarios/lab-client.js';
import { CLAUSE_IDS } from '../../lab/scenarios/types.js';
import { containerLogs, startComposeLab } from './compose-lab.js';
import { type ComposeSetup, projectVolumes } from './preflight.js';

export interface ComposeVariant {
  setup: ComposeSetup;
  /** What the lab is, for the log line and the test names: `Kamailio`, `the PF on drachtio-server`. */
  label: string;
  files: string[];
  env?: Record<string, string>;
  /** Services the override adds, waited on until healthy. */
  extraServices?: string[];
  /** Whose last log lines go into a failed clause's message. */
  logsOf: string[];
  /** Runs before `up` (e.g. a check that an image exists). */
  before?: () => void | Promise<void>;
}

export interface ComposeRun {
  lab: LabClient;
  report: ConformanceReport;
}

/** Registers the suite's hooks and per-clause tests; the returned getter gives the lab and the report. */
export function composeConformance(variant: ComposeVariant): () => ComposeRun {
  let environment: StartedDockerComposeEnvironment | undefined;
  let run: ComposeRun | undefined;
  let diagnostics = '';

  beforeAll(async () => {
    await variant.before?.();
    const up = await startComposeLab(
      variant.setup,
      variant.files,
      variant.env ?? {},
      variant.extraServices ?? [],
    );
    environment = up.environment;
    console.info(`Compose lab with ${variant.label} up in ${up.seconds.toFixed(1)} s at ${up.lab.url}`);
    const report = await runConformance({ lab: up.lab });
    run = { lab: up.lab, report };
    if (!report.passed) diagnostics = await containerLogs(variant.setup, up.environment, variant.logsOf);
  }, 900_000);

  afterAll(async () => {
    if (!environment) return;
    await environment.down({ removeVolumes: true, timeout: 10_000 });
    expect(await projectVolumes()).toEqual([]);
  });

  for (const clause of CLAUSE_IDS) {
    it(`${clause}: passes with ${variant.label} in containers`, () => {
      const { report } = run!;
      expect(clauseVerdict(report, clause).verdict, `${explainClause(report, clause)}\n${diagnostics}`).toBe(
        'pass',
      );
    });
  }
  return () => {
    if (!run) throw new Error('the Compose lab did not come up');
    return run;
  };
}
