import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { describeMessage, splitFlows, tsharkDecodeAsArgs } from '../trace/index.js';
import { CLAUSE_IDS } from '../scenarios/types.js';
import {
  decodeAsArgsFor,
  fileSlug,
  mermaidFiles,
  pcapPath,
  renderDecodeAs,
  renderTraceJson,
} from './artifacts.js';
import { esc, renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { buildReport, type ConformanceReport } from './report.js';
import { progressLine, summaryTable } from './summary.js';
import { check, deferredHops, hopAt, META, result } from './test-support/results.js';
import { writeReport } from './write.js';

const NASTY = `<script>alert("x")</script> & ]]> 'q' | *b* \`t\` \u0001\u0007`;

function sampleReport(): ConformanceReport {
  const hops = deferredHops();
  const invite = hopAt(hops, 'INVITE', 'cscf');
  const ok = hopAt(hops, '200 OK (INVITE)', 'alice');
  const send = hopAt(hops, 'MSRP SEND', 'pf');
  const passing = result(
    'deferred-inactive',
    ['D1.a', 'D1.i'],
    [
      check('D1.a', 'the INVITE carries Accept-Contact cpm.deferred', true, [invite]),
      check('D1.i', 'the offer is a=sendonly, the answer a=recvonly', true, [invite, ok]),
      check(undefined, 'alice came online', true),
    ],
  );
  const failing = result(
    'nasty <one>',
    ['D1.ii'],
    [check('D1.ii', `notification ${NASTY}`, false, [send], NASTY)],
    {
      error: `step failed ${NASTY}`,
    },
  );
  return buildReport([passing, failing], META);
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  processEntities: true,
  htmlEntities: false,
});

describe('junit.xml', () => {
  it('is valid XML with a clauses suite (one testcase per clause ID) and one suite per scenario', () => {
    const xml = renderJunit(sampleReport());
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml) as {
      testsuites: { '@tests': string; '@failures': string; '@errors': string; testsuite: Suite[] };
    };
    type Case = {
      '@name': string;
      '@classname': string;
      failure?: { '@message': string; '#text'?: string };
      error?: unknown;
    };
    type Suite = {
      '@name': string;
      '@tests': string;
      '@failures': string;
      '@errors': string;
      testcase: Case | Case[];
    };
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s['@name'])).toEqual(['clauses', 'deferred-inactive', 'nasty <one>']);
    const cases = (s: Suite) => (Array.isArray(s.testcase) ? s.testcase : [s.testcase]);
    const clauses = cases(suites[0]!);
    expect(clauses.map((c) => c['@name'].split(' ')[0])).toEqual([...CLAUSE_IDS]);
    expect(clauses.find((c) => c['@name'].startsWith('D1.a '))!.failure).toBeUndefined();
    expect(clauses.find((c) => c['@name'].startsWith('R3 '))!.failure!['@message']).toBe('R3 not covered');
    expect(clauses.find((c) => c['@name'].startsWith('D1.ii '))!.failure!['@message']).toBe('D1.ii failed');
    expect(suites[0]!['@failures']).toBe(String(CLAUSE_IDS.length - 2));
    expect(cases(suites[1]!).map((c) => c['@name'])).toEqual([
      'D1.a the INVITE carries Accept-Contact cpm.deferred',
      'D1.i the offer is a=sendonly, the answer a=recvonly',
      'alice came online',
    ]);
    const nasty = cases(suites[2]!);
    expect(nasty[0]!['@name']).toBe(`D1.ii notification ${NASTY.replace(/[\u0001\u0007]/g, '\ufffd')}`);
    expect(nasty[0]!.failure!['#text']).toContain('MSRP SEND');
    expect(nasty[1]!['@name']).toBe('nasty <one> runs to its end');
    expect(nasty[1]!.error).toBeDefined();
    expect(suites[2]!['@errors']).toBe('1');
    expect(doc.testsuites['@tests']).toBe(String(CLAUSE_IDS.length + 3 + 2));
    expect(doc.testsuites['@failures']).toBe(String(CLAUSE_IDS.length - 2 + 1));
  });
});

describe('report.md', () => {
  it('clause table, verdicts and evidence lines with describeMessage', () => {
    const report = sampleReport();
    const md = renderMarkdown(report);
    expect(md).toMatch(
      /^# CPM Lab conformance report\n\n\*\*FAIL\*\* — 2 of 14 clauses pass, 1 fail, 11 not covered/,
    );
    const rows = md.split('\n').filter((l) => /^\| \[[A-Z0-9.a-z]+\]\(#clause-/.test(l));
    expect(rows).toHaveLength(CLAUSE_IDS.length);
    expect(md).toContain('### D1.a — ✅ pass');
    expect(md).toContain('### D1.ii — ❌ FAIL');
    expect(md).toContain('### R3 — ⚠️ NOT COVERED');
    const hops = report.scenarios[0]!.hops;
    const invite = hopAt(hops, 'INVITE', 'cscf');
    expect(md).toContain(
      `  - #${invite} cscf → alice \`INVITE (cpm.deferred, sendonly)\` \`${hops[invite]!.startLine}\``,
    );
    expect(describeMessage(hops[invite]!)).toBe('INVITE (cpm.deferred, sendonly)');
  });

  it('escapes markup from the trace and the checks', () => {
    const md = renderMarkdown(sampleReport());
    expect(md).not.toContain('<script>');
    expect(md).toContain('\\<script\\>alert("x")\\</script\\>');
    expect(md).not.toMatch(/[\u0001\u0007]/);
    // Table cells never get an unescaped pipe from the data.
    for (const line of md.split('\n').filter((l) => l.startsWith('| ❌'))) {
      expect(line.split(/(?<!\\)\|/).length).toBe(7);
    }
  });
});

describe('report.html', () => {
  it('is self-contained: no external resource, a CSP that forbids fetches', () => {
    const html = renderHtml(sampleReport());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"`,
    );
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
    expect(html).not.toMatch(/url\(/);
  });

  it('escapes everything from the trace and the checks', () => {
    const html = renderHtml(sampleReport());
    expect(html.match(/<script>/g)).toHaveLength(1); // the page's own script only
    expect(html).toContain(esc(NASTY));
    expect(html).toContain('nasty &lt;one&gt;');
  });

  it('one ladder per flow; each arrow links to the raw text of its message', () => {
    const report = sampleReport();
    const html = renderHtml(report);
    const r = report.scenarios[0]!;
    const flows = splitFlows(r.hops);
    const section = html.slice(
      html.indexOf('id="scenario-deferred-inactive"'),
      html.indexOf('id="scenario-nasty-one"'),
    );
    expect(section.match(/<svg class="ladder"/g)).toHaveLength(flows.length);
    r.hops.forEach((hop, at) => {
      const id = `raw-deferred-inactive-${at}`;
      expect(section).toContain(`<a href="#${id}" class="hop`);
      const details = new RegExp(`<details id="${id}"[^>]*>[\\s\\S]*?<pre>([\\s\\S]*?)</pre></details>`).exec(
        section,
      );
      expect(details, id).not.toBeNull();
      const shown = details![1]!
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, '&');
      expect(shown).toBe(hop.raw.toString('utf8').replace(/\r\n/g, '\n'));
    });
    const invite = hopAt(r.hops, 'INVITE', 'cscf');
    expect(section).toMatch(
      new RegExp(
        `<a href="#raw-deferred-inactive-${invite}" class="hop request sip evidence" data-hop="${invite}">`,
      ),
    );
  });
});

describe('trace.json, Mermaid, decode-as', () => {
  it('trace.json carries every hop with its raw bytes in base64', () => {
    const report = sampleReport();
    const json = JSON.parse(renderTraceJson(report)) as {
      scenarios: Array<{
        name: string;
        hops: Array<{ index: number; raw: string; description: string; records: { out?: { node: string } } }>;
      }>;
    };
    expect(json.scenarios.map((s) => s.name)).toEqual(['deferred-inactive', 'nasty <one>']);
    const hops = report.scenarios[0]!.hops;
    expect(json.scenarios[0]!.hops).toHaveLength(hops.length);
    json.scenarios[0]!.hops.forEach((h, i) => {
      expect(Buffer.from(h.raw, 'base64').equals(hops[i]!.raw)).toBe(true);
      expect(h.description).toBe(describeMessage(hops[i]!));
    });
    expect(json.scenarios[0]!.hops[0]!.records.out?.node).toBe(hops[0]!.out?.node);
  });

  it('one .mmd per scenario, plus one per flow when a scenario has several', () => {
    const report = sampleReport();
    const files = mermaidFiles(report);
    const flows = splitFlows(report.scenarios[0]!.hops).length;
    const perScenario = flows > 1 ? flows + 1 : 1;
    expect(files.filter((f) => f.path.startsWith('mermaid/deferred-inactive'))).toHaveLength(perScenario);
    expect(files.map((f) => f.path)).toContain('mermaid/nasty-one.mmd');
    for (const f of files) expect(f.content.startsWith('sequenceDiagram\n')).toBe(true);
    expect(files[0]!.content).toContain('INVITE (cpm.deferred, sendonly)');
  });

  it('decode-as.txt holds a tshark command per pcap whose arguments read back', () => {
    const report = sampleReport();
    const text = renderDecodeAs(report);
    const args = decodeAsArgsFor(text, pcapPath('deferred-inactive'));
    expect(args).toEqual(tsharkDecodeAsArgs(report.scenarios[0]!.hops));
    expect(args).toContain('tcp.port==7394,msrp');
    expect(decodeAsArgsFor(text, 'pcap/none.pcap')).toBeUndefined();
  });

  it('fileSlug keeps names safe for any file system', () => {
    expect(fileSlug('deferred-inactive')).toBe('deferred-inactive');
    expect(fileSlug('../../etc/passwd')).toBe('etc-passwd');
    expect(fileSlug('')).toBe('unnamed');
  });
});

describe('writeReport', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes report.md/html, junit.xml, trace.json, decode-as.txt, Mermaid files and a pcap per scenario', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cpm-lab-conformance-'));
    const report = sampleReport();
    const written = await writeReport(join(dir, 'out'), report);
    for (const f of ['report.md', 'report.html', 'junit.xml', 'trace.json', 'decode-as.txt']) {
      expect(written).toContain(f);
      expect((await readFile(join(dir, 'out', f), 'utf8')).length).toBeGreaterThan(100);
    }
    expect((await readdir(join(dir, 'out', 'pcap'))).sort()).toEqual([
      'deferred-inactive.pcap',
      'nasty-one.pcap',
    ]);
    const pcap = await readFile(join(dir, 'out', 'pcap', 'deferred-inactive.pcap'));
    expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(await readdir(join(dir, 'out', 'mermaid'))).toContain('deferred-inactive.mmd');
  });
});

describe('terminal output', () => {
  it('summary table: a row per clause and the totals', () => {
    const table = summaryTable(sampleReport());
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^Clause\s+Verdict\s+Checks\s+Scenarios$/);
    expect(lines.slice(2, 2 + CLAUSE_IDS.length).map((l) => l.split(/\s+/)[0])).toEqual([...CLAUSE_IDS]);
    expect(table).toMatch(/D1\.a\s+PASS\s+1\/1\s+deferred-inactive/);
    expect(table).toMatch(/D1\.ii\s+FAIL\s+0\/1\s+nasty <one>/);
    expect(table).toMatch(/R3\s+NOT COVERED\s+0\/0\s+—/);
    expect(lines.at(-1)).toMatch(
      /^FAIL — 2 of 14 clauses pass, 1 fail, 11 not covered; 3 of 4 checks judged pass \(1\.2 s\)$/,
    );
  });

  it('progress lines', () => {
    const r = sampleReport().scenarios[1]!;
    expect(progressLine({ type: 'scenario-start', scenario: 'x', title: 'X', index: 0, total: 7 })).toBe(
      '[1/7] x: X',
    );
    expect(progressLine({ type: 'scenario-end', result: r, index: 0, total: 7 })).toMatch(
      /^ {6}→ FAIL \(1 of 1 checks failed\): step failed <script>.* 1 checks, \d+ messages, 42 ms$/,
    );
    // Control characters from the lab never reach the terminal.
    expect(progressLine({ type: 'scenario-end', result: r, index: 0, total: 7 })).not.toMatch(
      /[\u0000-\u001f]/,
    );
  });
});
