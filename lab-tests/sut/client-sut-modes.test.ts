// Driving a client under test without a control API (docs/sut.md): mode manual, with the prompts answered by
// the test as an operator would (a skipped step makes its scenario inconclusive, never passed), and mode
// network, where the lab does only what the network can do on its own.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceCommand, type ConformanceOutcome } from '../../cli/commands/conformance.js';
import { openLab } from '../../cli/commands/run.js';
import { explainClause } from '../../lab/conformance/index.js';
import { EmbeddedLab } from '../../lab/embedded/index.js';
import { parseTopology, withEphemeralPorts } from '../../lab/topology/index.js';
import { freePort } from '../../runtime/index.js';
import { silentLogger } from '../../test-support/cscf.js';
import { type NodeProcess, startClientProcess } from './processes.js';

async function control(sut: NodeProcess, method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(sut.control + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

/** What an operator does for each prompt of the manual driver, on the client through its own UI (here: its API). */
async function actOn(sut: NodeProcess, instruction: string): Promise<'done' | 'skip'> {
  if (/register the client under test/.test(instruction)) await control(sut, 'POST', '/online');
  else if (/offline with a de-registration/.test(instruction))
    await control(sut, 'POST', '/offline', { mode: 'deregister' });
  else if (/cut the client's network/.test(instruction))
    await control(sut, 'POST', '/offline', { mode: 'drop' });
  else if (/add this group/.test(instruction)) {
    const field = (name: string) => new RegExp(`${name} ([^;]+)`).exec(instruction)?.[1]?.trim() ?? '';
    await control(sut, 'POST', '/groups', {
      conferenceUri: field('conference URI'),
      conversationId: field('Conversation-ID'),
      contributionId: field('Contribution-ID'),
      subject: /subject "([^"]*)"/.exec(instruction)?.[1],
      participants: field('participants').split(', '),
    });
  } else if (/from now on (\w+) .* for the group (\S+)/.test(instruction)) {
    const [, policy, group] = /from now on (\w+) .* for the group (\S+)/.exec(instruction)!;
    const word = policy === 'postpone' ? 'later' : policy!;
    await control(sut, 'PUT', '/policy', { policy: word, group });
  } else return 'skip'; // writing a message: this operator cannot (the scenario must end inconclusive)
  return 'done';
}

describe('SUT client, mode manual: the prompts answered by an operator (the test)', () => {
  let tmp: string;
  let sut: NodeProcess;
  let outcome: ConformanceOutcome;
  const printed: string[] = [];
  const prompts: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-sut-manual-'));
    const sipPort = await freePort();
    sut = await startClientProcess({ user: 'alice', cscf: `127.0.0.1:${sipPort}` });
    const input = new PassThrough();
    const err = (text: string) => {
      printed.push(text);
      const m = />>> OPERATOR: (.*)/.exec(text);
      if (!m) return;
      prompts.push(m[1]!);
      // The operator reads the instruction, acts on the client, then answers (Enter, or "skip").
      void actOn(sut, m[1]!).then(
        (answer) => input.write(answer === 'done' ? '\n' : 'skip\n'),
        (error: unknown) => {
          printed.push(`operator failed: ${String(error)}`);
          input.write('skip\n');
        },
      );
    };
    outcome = await conformanceCommand(
      {
        embedded: true,
        sut: 'client',
        sutMode: 'manual',
        sutTimeout: '30',
        scenario: ['deferred-inactive', 'decline', 'rejoin'],
        sipPort: String(sipPort),
        t1: 50,
        out: join(tmp, 'report'),
      },
      { out: (t) => printed.push(t), err, env: {}, input },
    );
  }, 300_000);

  afterAll(async () => {
    await sut?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('prompts for what the scenarios need from the user: register, go offline, know a group, decline, write', () => {
    const kinds = prompts.map((p) =>
      p
        .replace(/^alice: /, '')
        .split(' ')
        .slice(0, 3)
        .join(' '),
    );
    expect(kinds, printed.join('\n')).toEqual(
      expect.arrayContaining([
        'register the client',
        'take the client',
        'add this group',
        'from now on',
        'write "back soon"',
      ]),
    );
  });

  it('the clauses of the driven scenarios pass; those of the scenario with a skipped step are inconclusive', () => {
    const report = outcome.report!;
    const verdicts = Object.fromEntries(report.clauses.map((c) => [c.clause, c.verdict]));
    for (const clause of ['D1.a', 'D1.i', 'D1.ii', 'D1.iii', 'D1.v', 'D1.vi', 'D1.vii', 'PF'] as const)
      expect(verdicts[clause], explainClause(report, clause)).toBe('pass');
    expect(verdicts['D1.viii'], explainClause(report, 'D1.viii')).toBe('inconclusive');
    expect(verdicts.R3, explainClause(report, 'R3')).toBe('inconclusive');
    const rejoin = report.scenarios.find((s) => s.name === 'rejoin')!;
    expect(rejoin.inconclusive).toMatch(/the operator could not: alice: write "back soon"/);
    expect(rejoin.passed).toBe(false);
  });

  it('exit 1 (not everything passes); junit.xml reports the inconclusive clauses as errors, not as passes', async () => {
    expect(outcome.exitCode).toBe(1);
    const junit = await readFile(join(tmp, 'report', 'junit.xml'), 'utf8');
    expect(junit).toMatch(
      /<testcase classname="clauses" name="D1\.viii [^"]*"[^>]*>\s*<error message="D1\.viii inconclusive" type="inconclusive">/,
    );
    expect(junit).toMatch(
      /<property name="Implementation under test" value="[^"]*client alice[^"]*mode manual"\/>/,
    );
  });
});

describe('SUT client, mode network: the lab does only what the network can', () => {
  let tmp: string;
  let sut: NodeProcess;
  let outcome: ConformanceOutcome;
  const printed: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-sut-network-'));
    const sipPort = await freePort();
    sut = await startClientProcess({ user: 'alice', cscf: `127.0.0.1:${sipPort}` });
    const err = (text: string) => {
      printed.push(text);
      // The user starts the client when the lab says where to register (the lab cannot make it register).
      if (/^implementation under test:/.test(text)) void control(sut, 'POST', '/online');
    };
    outcome = await conformanceCommand(
      {
        embedded: true,
        sut: 'client',
        sutMode: 'network',
        sutTimeout: '5',
        scenario: ['deferred-inactive', 'unknown-group', 'network-deregistration'],
        sipPort: String(sipPort),
        t1: 50,
        out: join(tmp, 'report'),
      },
      { out: (t) => printed.push(t), err, env: {} },
    );
  }, 300_000);

  afterAll(async () => {
    await sut?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('a scenario that needs the user (the client must know a group) is inconclusive, with the reason', () => {
    const deferred = outcome.report!.scenarios.find((s) => s.name === 'deferred-inactive')!;
    expect(deferred.inconclusive, printed.join('\n')).toMatch(
      /making the client know the group .* needs the user/,
    );
    expect(deferred.checks).toEqual([]);
  });

  it('the network de-registers the client; it does not come back on its own: inconclusive, not failed', () => {
    const report = outcome.report!;
    const netdereg = report.scenarios.find((s) => s.name === 'network-deregistration')!;
    expect(netdereg.inconclusive, printed.join('\n')).toMatch(/did not register again on its own within 5 s/);
    expect(report.clauses.every((c) => c.verdict !== 'pass' || c.checks.some((e) => e.check.passed))).toBe(
      true,
    );
    expect(
      report.clauses.some((c) => c.verdict === 'fail'),
      report.clauses.map((c) => explainClause(report, c.clause)).join('\n'),
    ).toBe(false);
    expect(outcome.exitCode).toBe(1);
  });
});

describe('SUT runs that cannot start: exit 2 with the reason, no verdict', () => {
  const run = async (flags: Parameters<typeof conformanceCommand>[0]) => {
    const printed: string[] = [];
    const outcome = await conformanceCommand(flags, {
      out: (t) => printed.push(t),
      err: (t) => printed.push(t),
      env: {},
    });
    return { outcome, text: printed.join('\n') };
  };

  it('usage: mode control without a control API, a --sut-* option without --sut', async () => {
    const a = await run({ embedded: true, sut: 'client', sutMode: 'control' });
    expect(a.outcome.exitCode).toBe(2);
    expect(a.text).toMatch(/--sut-control: mode control needs the URL/);
    const b = await run({ embedded: true, sutUser: 'dave' });
    expect(b.outcome.exitCode).toBe(2);
    expect(b.text).toMatch(/give --sut client or --sut pf/);
  });

  it('a control API nobody answers, a PF nobody listens for: setup errors', async () => {
    const dead = await freePort();
    const a = await run({ embedded: true, sut: 'client', sutControl: `http://127.0.0.1:${dead}` });
    expect(a.outcome.exitCode).toBe(2);
    expect(a.text).toMatch(
      new RegExp(`the SUT control API at http://127\\.0\\.0\\.1:${dead} does not answer`),
    );
    const b = await run({ embedded: true, sut: 'pf', sutPf: `sip:127.0.0.1:${dead}`, sutMode: 'manual' });
    expect(b.outcome.exitCode).toBe(2);
    expect(b.text).toMatch(
      new RegExp(`the PF under test does not take SIP over TCP at 127\\.0\\.0\\.1:${dead}`),
    );
  }, 60_000);
});

describe('a SUT declared in the topology: `cpm-lab conformance --lab URL` judges it without --sut', () => {
  let tmp: string;
  let sut: NodeProcess;
  let lab: EmbeddedLab;
  let outcome: ConformanceOutcome;
  const printed: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-sut-topology-'));
    const sipPort = await freePort();
    sut = await startClientProcess({ user: 'dave', cscf: `127.0.0.1:${sipPort}` });
    const topology = withEphemeralPorts(
      parseTopology({
        clients: [{ user: 'bob' }, { user: 'carol' }],
        groups: [{ name: 'team', participants: ['dave', 'bob', 'carol'] }],
        sut: { side: 'client', user: 'dave', control: sut.control, name: 'declared in the topology' },
      }),
    );
    lab = await EmbeddedLab.start({
      topology: { ...topology, cscf: { ...topology.cscf, sipPort } },
      dataDir: join(tmp, 'data'),
      t1: 50,
      logger: silentLogger('lab'),
      loggerFor: (node) => silentLogger(node),
    });
    outcome = await conformanceCommand(
      { lab: lab.url, scenario: ['deferred-inactive'], out: join(tmp, 'report') },
      { out: (t) => printed.push(t), err: (t) => printed.push(t), env: {} },
    );
  }, 300_000);

  afterAll(async () => {
    await lab?.close();
    await sut?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the client dave plays alice; its clauses pass from the wire; the report names it', () => {
    expect(outcome.exitCode, printed.join('\n')).toBe(0);
    expect(outcome.report?.iut).toMatchObject({
      side: 'client',
      user: 'dave',
      role: 'alice',
      name: 'declared in the topology',
    });
    expect(printed.join('\n')).toMatch(/roles: alice → dave/);
  });

  it('`cpm-lab run` refuses a lab with an implementation under test, pointing at conformance', async () => {
    await expect(openLab({ lab: lab.url })).rejects.toThrow(/judge it with `cpm-lab conformance`/);
  });
});
