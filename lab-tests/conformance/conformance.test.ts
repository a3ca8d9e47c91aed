// The conformance run end to end against the embedded lab: one `it` per clause ID of docs/clauses.md,
// asserting the clause's verdict (the wire checks themselves live in lab/scenarios), then the report files
// it wrote: report.md/html, junit.xml (parsed), and the pcaps decoded by tshark as SIP and MSRP.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceOutcome, conformanceCommand } from '../../cli/commands/conformance.js';
import {
  clauseVerdict,
  type ConformanceReport,
  decodeAsArgsFor,
  explainClause,
  pcapPath,
} from '../../lab/conformance/index.js';
import { type EmbeddedLab, type PrivateLab, startPrivateLab } from '../../lab/embedded/index.js';
import { SCENARIOS } from '../../lab/scenarios/registry.js';
import { CLAUSE_IDS, type ClauseId } from '../../lab/scenarios/types.js';
import { splitFlows } from '../../lab/trace/index.js';
import { freePort } from '../../runtime/index.js';

const run = promisify(execFile);

let privateLab: PrivateLab | undefined;
let lab: EmbeddedLab;
let tmp: string;
let outDir: string;
let outcome: ConformanceOutcome;
let report: ConformanceReport;
const printed = { out: [] as string[], err: [] as string[] };

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-conformance-test-'));
  outDir = join(tmp, 'report');
  privateLab = await startPrivateLab({ t1: 50, level: 'error', label: 'conformance-test' });
  lab = privateLab.lab;
  outcome = await conformanceCommand(
    { lab: lab.url, out: outDir },
    { out: (t) => printed.out.push(t), err: (t) => printed.err.push(t), env: {} },
  );
  if (!outcome.report)
    throw new Error(`the conformance run did not produce a report:\n${printed.err.join('\n')}`);
  report = outcome.report;
}, 180_000);

afterAll(async () => {
  await privateLab?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** One end-to-end test per clause of docs/clauses.md; the wire checks live in lab/scenarios. */
const CLAUSE_TESTS: Record<ClauseId, string> = {
  'D1.a':
    'D1.a: the PF INVITE with cpm.deferred in Accept-Contact (require;explicit) is handled as a CPM session invitation',
  'D1.i': 'D1.i: a=sendonly offer, a=recvonly answer, the deferred messages arrive on that session in order',
  'D1.ii': 'D1.ii: disposition notifications for deferred messages go back over SIP MESSAGE, not MSRP',
  'D1.iii': 'D1.iii: direction and the deferred tag make the client treat the group session as inactive',
  'D1.iv':
    'D1.iv: cpm.deferred INVITE with unknown Conversation-ID/Contribution-ID → 481, recorded by the PF',
  'D1.v': 'D1.v: 200 then MSRP after the ACK; 603 Decline (removed from the group); 480 (kept for later)',
  'D1.vi': 'D1.vi: no SUBSCRIBE to the conference event package during deferred delivery',
  'D1.vii': 'D1.vii: the group state object comes first over MSRP and updates the participant list',
  'D1.viii':
    "D1.viii: the user's message goes out on a re-join INVITE strictly after the deferred session's BYE",
  'A2.a': 'A2.a: the PF INVITE with cpm.session in Accept-Contact is handled as a CPM session invitation',
  'A2.i':
    'A2.i: a=sendrecv; backlog then live traffic in, notifications and new messages out, on one session',
  'A2.ii': 'A2.ii: cpm.session INVITE with unknown Conversation-ID/Contribution-ID → 481',
  R3: 'R3: no re-join on registration with nothing to send; a re-join when the user has a message',
  PF: 'PF: the PF invites the returning user for stored messages (inactive) or into the live session (active)',
};

describe('conformance: every clause of the CR passes against the embedded lab', () => {
  it('every clause ID of the spec has its test below', () => {
    expect(Object.keys(CLAUSE_TESTS)).toEqual([...CLAUSE_IDS]);
  });

  for (const clause of CLAUSE_IDS) {
    it(CLAUSE_TESTS[clause], () => {
      expect(clauseVerdict(report, clause).verdict, explainClause(report, clause)).toBe('pass');
    });
  }

  it('ran every scenario of the registry; exit code 0 and a summary table with every clause', () => {
    expect(report.scenarios.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    const summary = printed.out.join('\n');
    for (const clause of CLAUSE_IDS)
      expect(summary).toMatch(new RegExp(`^${clause.replace('.', '\\.')}\\s+PASS`, 'm'));
    expect(printed.err.join('\n')).toContain(`[1/${SCENARIOS.length}] ${SCENARIOS[0]!.name}`);
    expect(outcome.exitCode, printed.out.join('\n')).toBe(0);
  });
});

describe('conformance report files', () => {
  it('report.md: the clause table and each clause with its evidence', async () => {
    const md = await readFile(join(outDir, 'report.md'), 'utf8');
    for (const clause of CLAUSE_IDS) expect(md).toContain(`### ${clause} — `);
    expect(md).toMatch(/- #\d+ cscf → alice `INVITE \(cpm\.deferred, sendonly\)`/);
    // Each clause with its normative level; the lab that judged, with its version and its CSCF.
    expect(md).toMatch(/^\| \[D1\.vi\]\(#[^)]+\) .* \| SHALL NOT \| /m);
    expect(md).toMatch(/^\| \[R3\]\(#[^)]+\) .* \| MAY \/ SHOULD NOT \| /m);
    expect(md).toMatch(/^- cpm-lab: \d+\.\d+\.\d+/m);
    expect(md).toContain("- CSCF: the lab's own (mock CSCF)");
    expect(clauseVerdict(report, 'D1.a').level).toBe('SHALL');
  });

  it('report.html: self-contained, a ladder per flow, every message’s raw text', async () => {
    const html = await readFile(join(outDir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
    const flows = report.scenarios.reduce((n, s) => n + (s.hops.length ? splitFlows(s.hops).length : 0), 0);
    expect(html.match(/<svg class="ladder"/g)).toHaveLength(flows);
    const messages = report.scenarios.reduce((n, s) => n + s.hops.length, 0);
    expect(html.match(/<details id="raw-/g)).toHaveLength(messages);
  });

  it('junit.xml parses: a clauses suite and one suite per scenario, testcases named `<clause> <description>`', async () => {
    const xml = await readFile(join(outDir, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    type Case = { '@name': string; failure?: unknown };
    type Suite = { '@name': string; '@failures': string; testcase: Case | Case[] };
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as {
      testsuites: { testsuite: Suite[] };
    };
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s['@name'])).toEqual(['clauses', ...SCENARIOS.map((s) => s.name)]);
    const cases = (s: Suite) => (Array.isArray(s.testcase) ? s.testcase : [s.testcase]);
    expect(cases(suites[0]!).map((c) => c['@name'].split(' ')[0])).toEqual([...CLAUSE_IDS]);
    const first = report.scenarios[0]!;
    expect(cases(suites[1]!).map((c) => c['@name'])).toEqual(
      first.checks.map((c) => (c.clause ? `${c.clause} ${c.description}` : c.description)),
    );
  });

  it('the pcaps decode in tshark as SIP and MSRP, one packet per message (decode-as.txt arguments)', async () => {
    const decodeAs = await readFile(join(outDir, 'decode-as.txt'), 'utf8');
    const withMessages = report.scenarios.filter((s) => s.hops.length > 0);
    expect(withMessages.length).toBeGreaterThan(0);
    // One tshark per pcap, all at once (each takes a second to start).
    const seen = await Promise.all(
      withMessages.map(async (result) => {
        const pcap = pcapPath(result.name);
        const args = decodeAsArgsFor(decodeAs, pcap);
        if (args === undefined) throw new Error(`decode-as.txt has no line for ${pcap}`);
        const out = await tshark([
          '-r',
          join(outDir, pcap),
          '-Y',
          'sip || msrp',
          ...args,
          '-T',
          'fields',
          '-e',
          '_ws.col.Protocol',
        ]);
        const counts = { sip: 0, msrp: 0 };
        for (const p of out.split('\n').filter(Boolean)) {
          if (p.startsWith('MSRP')) counts.msrp++;
          else if (p.startsWith('SIP')) counts.sip++;
        }
        return { pcap, counts, result };
      }),
    );
    for (const { pcap, counts, result } of seen) {
      const expected = {
        sip: result.hops.filter((h) => h.protocol === 'sip' && h.startLine !== '').length,
        msrp: result.hops.filter((h) => h.protocol === 'msrp').length,
      };
      expect(
        counts,
        `${pcap}: tshark saw ${JSON.stringify(counts)}, the trace has ${JSON.stringify(expected)}`,
      ).toEqual(expected);
      expect(counts.sip, pcap).toBeGreaterThan(0);
    }
    expect(report.scenarios.some((s) => s.hops.some((h) => h.protocol === 'msrp'))).toBe(true);
  }, 60_000);
});

describe('cpm-lab conformance', () => {
  it('--embedded runs against a private lab; --scenario judges only the clauses that scenario covers', async () => {
    const out = join(tmp, 'embedded');
    const lines: string[] = [];
    const name = SCENARIOS.find((s) => s.clauses.includes('D1.iv'))!.name;
    const r = await conformanceCommand(
      { embedded: true, out, scenario: [name], t1: 50 },
      { out: (t) => lines.push(t), err: (t) => lines.push(t), env: { CPM_LAB_LOG: 'error' } },
    );
    expect(r.report?.labUrl).not.toBe(lab.url);
    expect(r.report?.scenarios.map((s) => s.name)).toEqual([name]);
    expect(clauseVerdict(r.report!, 'D1.iv').verdict, explainClause(r.report!, 'D1.iv')).toBe('pass');
    expect(r.report?.clauses.map((c) => c.clause)).toEqual(SCENARIOS.find((s) => s.name === name)!.clauses);
    expect(r.exitCode).toBe(0);
    expect(lines.join('\n')).not.toMatch(/^R3\s/m);
    expect(r.files).toContain('report.html');
  }, 60_000);

  it('an unreachable lab: exit 2 (no verdict) and a message that says so', async () => {
    const lines: string[] = [];
    // A port that was free a moment ago refuses connections.
    const port = await freePort();
    const r = await conformanceCommand(
      { lab: `http://127.0.0.1:${port}`, out: join(tmp, 'unreachable') },
      { out: (t) => lines.push(t), err: (t) => lines.push(t), env: {} },
    );
    expect(r.exitCode).toBe(2);
    expect(r.report).toBeUndefined();
    expect(lines.join('\n')).toContain(
      `cpm-lab conformance: cannot reach the lab API at http://127.0.0.1:${port} (ECONNREFUSED) — is the lab running?`,
    );
  });

  it('--lab and --embedded together are refused', async () => {
    const lines: string[] = [];
    const r = await conformanceCommand(
      { lab: lab.url, embedded: true },
      { out: () => {}, err: (t) => lines.push(t), env: {} },
    );
    expect(r.exitCode).toBe(2);
    expect(lines).toEqual(['cpm-lab conformance: give either --lab or --embedded, not both']);
  });
});

/** tshark's output; a missing tshark fails the test with what to install (the pcaps must be checked). */
async function tshark(args: string[]): Promise<string> {
  try {
    return (await run('tshark', args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'tshark is not installed: `apt-get install tshark` (Debian) — the pcap export must be checked by it',
      );
    }
    throw err;
  }
}
