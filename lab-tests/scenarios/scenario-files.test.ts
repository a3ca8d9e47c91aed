// Scenario files (docs/scenarios.md) run by the generic engine against an embedded lab: a scenario written here
// (not shipped) with parallel steps and a negative check passes; a deliberately wrong one fails with the check
// and its evidence named.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceCommand } from '../../cli/commands/conformance.js';
import { type PrivateLab, startPrivateLab } from '../../lab/embedded/index.js';
import { fileScenario, loadScenarioFile, parseScenarioFile } from '../../lab/scenarios/file/index.js';
import { LabClient } from '../../lab/scenarios/lab-client.js';
import type { ScenarioResult } from '../../lab/scenarios/types.js';

const FILES = fileURLToPath(new URL('./files/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'cpm-lab.js');
let lab: PrivateLab;
let client: LabClient;

beforeAll(async () => {
  lab = await startPrivateLab({ t1: 50, label: 'scenario-files' });
  client = new LabClient(lab.url);
}, 60_000);

afterAll(async () => {
  await lab?.close();
});

const show = (r: ScenarioResult) =>
  [
    r.error ?? '',
    ...r.checks.map(
      (c) => `${c.passed ? 'PASS' : 'FAIL'} ${c.clause ?? ''} ${c.description}: ${c.detail ?? ''}`,
    ),
  ].join('\n');

describe('a scenario file written by a user', () => {
  it('two members offline, one declines, one accepts: parallel steps, a negative check (no SUBSCRIBE), every check passes', async () => {
    const loaded = await loadScenarioFile(join(FILES, 'two-offline-one-declines.yaml'));
    const result = await fileScenario(loaded).run({ lab: client, step: () => {} });
    expect(result.passed, show(result)).toBe(true);
    expect(result.checks).toHaveLength(6);
    expect(result.clauses).toEqual(['D1.v', 'D1.a', 'D1.i', 'D1.vi']);
    // Evidence: the 603 check points at the INVITE and at the 603 in the run's trace.
    const decline = result.checks[0]!;
    expect(decline.evidence.map((i) => result.hops.find((h) => h.index === i)?.startLine)).toEqual([
      expect.stringMatching(/^INVITE /),
      expect.stringMatching(/^SIP\/2\.0 603/),
    ]);
  });

  it('a group of five with roles created for the run (dave, erin): the flow passes and the created clients are gone after it', async () => {
    const before = (await client.nodes()).map((n) => n.name).sort();
    const loaded = await loadScenarioFile(join(FILES, 'five-two-offline.yaml'));
    const steps: string[] = [];
    const result = await fileScenario(loaded).run({ lab: client, step: (t) => steps.push(t) });
    expect(result.passed, show(result)).toBe(true);
    expect(steps.join('\n')).toMatch(/dave: a client created for this run \(dave-[0-9a-f]{6}\)/);
    // The result's trace names the created clients as the lab does: their users.
    expect(result.hops.some((h) => /^erin-[0-9a-f]{6}$/.test(h.to))).toBe(true);
    expect((await client.nodes()).map((n) => n.name).sort()).toEqual(before);
  });

  it('POST /clients refuses a bad or taken name; DELETE /clients refuses a client of the topology', async () => {
    const post = (user: string) =>
      fetch(`${lab.url}/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user }),
      });
    expect((await post('Not A User')).status).toBe(400);
    expect((await post('alice')).status).toBe(409);
    const del = await fetch(`${lab.url}/clients/alice`, { method: 'DELETE' });
    expect(del.status).toBe(409);
    expect(JSON.stringify(await del.json())).toMatch(/client of the topology/);
  });

  it('a wrong expectation fails with the check, what was seen, and the evidence (the message comes from a text file)', async () => {
    const loaded = parseScenarioFile(
      `
name: wrong-expectation
title: expects a=sendrecv on a deferred invitation
groups:
  - { name: g, members: [alice, bob, carol] }
steps:
  - offline: alice
  - send: { user: bob, group: g, file: hello.txt }
  - wait: { for: stored, user: alice, group: g, count: 1 }
  - wait: { for: sent, user: bob, group: g, texts: [hello] }
  - end-session: g
  - online: alice
  - wait: { for: received, user: alice, group: g, texts: [hello] }
checks:
  - kind: request
    clause: D1.i
    description: the deferred INVITE offers a=sendrecv (wrong on purpose)
    match: { method: INVITE, to: alice, group: g, initial: true }
    sdp: sendrecv
  - kind: request
    description: alice SUBSCRIBEs (wrong on purpose)
    match: { method: SUBSCRIBE, from: alice }
  - kind: request
    description: an INVITE after a message that never happened (wrong on purpose)
    match: { method: INVITE, to: alice, group: g, after: carol-publish }
messages:
  carol-publish:
    match: { method: PUBLISH, from: carol }
`,
      join(FILES, 'inline.yaml'),
    );
    const result = await fileScenario(loaded).run({ lab: client, step: () => {} });
    expect(result.passed).toBe(false);
    const [sdp, subscribe, afterMissing] = result.checks;
    expect(sdp).toMatchObject({ passed: false, clause: 'D1.i' });
    expect(sdp!.detail).toMatch(/INVITE .*SDP direction sendonly, expected sendrecv/);
    expect(sdp!.evidence).toHaveLength(1);
    expect(result.hops.find((h) => h.index === sdp!.evidence[0])?.startLine).toMatch(/^INVITE /);
    expect(subscribe).toMatchObject({ passed: false, detail: 'no SUBSCRIBE from alice' });
    // Nothing can follow a message that is not in the trace: the detail says which one is missing.
    expect(afterMissing).toMatchObject({ passed: false });
    expect(afterMissing!.detail).toMatch(
      /^no INVITE to alice.*; "carol-publish" \(after\) is not in the trace$/,
    );
  });
});

function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('scenario files from the command line', () => {
  it('`cpm-lab run FILE.yaml --lab URL` runs it and exits 0; a malformed file exits 2 with file:line:column and the field, before anything runs', async () => {
    // Asynchronously: the lab it drives runs in this process.
    const ok = await runCli([
      CLI,
      'run',
      join(FILES, 'two-offline-one-declines.yaml'),
      '--lab',
      lab.url,
      '--no-ladder',
    ]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/two-offline-one-declines/);
    const dir = await mkdtemp(join(tmpdir(), 'bad-scenario-'));
    try {
      const bad = join(dir, 'bad.yaml');
      await writeFile(
        bad,
        'name: bad\ntitle: a typo\nsteps:\n  - ofline: alice\nchecks:\n  - kind: state\n    description: x\n    of: pf-member\n    user: alice\n    group: g\n',
      );
      const run = spawnSync(process.execPath, [CLI, 'run', bad, '--lab', 'http://127.0.0.1:9'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`${bad}:4:5: steps[0].ofline: unknown step "ofline"`);
      // The lab (an address where nothing listens) was never asked: the file failed first.
      expect(run.stderr).not.toMatch(/is the lab running/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`conformance --scenarios DIR` runs the files of a directory and judges only the clauses they cover', async () => {
    const out = await mkdtemp(join(tmpdir(), 'scenario-dir-report-'));
    const printed: string[] = [];
    try {
      const outcome = await conformanceCommand(
        { lab: lab.url, scenarios: FILES, out: out },
        { out: (t) => printed.push(t), err: (t) => printed.push(t), env: {} },
      );
      expect(outcome.exitCode, printed.join('\n')).toBe(0);
      expect(outcome.report!.scenarios.map((r) => r.name)).toEqual([
        'five-two-offline',
        'two-offline-one-declines',
      ]);
      expect(outcome.report!.clauses.map((c) => c.clause).sort()).toEqual([
        'A2.i',
        'D1.a',
        'D1.i',
        'D1.v',
        'D1.vi',
      ]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
