// report.md: clause → verdict → evidence (the checks and the key messages), then each scenario with its
// checks and a ladder of its messages.
import { describeMessage, renderLadder } from '../trace/index.js';
import { type Check, type CheckVerdict, checkVerdict, type ScenarioResult } from '../scenarios/types.js';
import {
  type ConformanceReport,
  evidenceHops,
  reportFacts,
  reportHeadline,
  type ScenarioVerdict,
  scenarioVerdict,
  type Verdict,
} from './report.js';

const VERDICT: Record<Verdict, string> = {
  pass: '✅ pass',
  fail: '❌ FAIL',
  inconclusive: '❔ inconclusive',
  'not-covered': '⚠️ NOT COVERED',
  'not-applicable': '➖ not applicable',
};

const CHECK_MARK: Record<CheckVerdict, string> = {
  pass: '✅',
  fail: '❌',
  inconclusive: '❔',
  'not-applicable': '➖',
};

const SCENARIO: Record<ScenarioVerdict, string> = {
  pass: '✅ pass',
  fail: '❌ FAIL',
  inconclusive: '❔ inconclusive',
  'not-applicable': '➖ not applicable',
};

function mark(check: Check): string {
  return CHECK_MARK[checkVerdict(check)];
}

export function renderMarkdown(report: ConformanceReport): string {
  const out: string[] = [];
  out.push('# CPM Lab conformance report', '');
  const [verdict, ...rest] = reportHeadline(report).split(' — ');
  out.push(`**${verdict}** — ${text(rest.join(' — '))}.`, '');
  for (const [label, value] of reportFacts(report)) out.push(`- ${label}: ${text(value)}`);
  out.push(`- Duration: ${formatMs(report.durationMs)}`, '');

  out.push('## Clauses', '', '| Clause | Level | Verdict | Checks | Scenarios |', '|---|---|---|---|---|');
  for (const c of report.clauses) {
    const passed = c.checks.filter((e) => e.check.passed).length;
    const judged = c.checks.filter((e) => e.check.verdict === undefined).length;
    out.push(
      `| [${c.clause}](#${anchor(c.clause)}) ${cell(c.title)} | ${c.level} | ${VERDICT[c.verdict]} | ${passed}/${judged} | ${cell(c.scenarios.join(', ') || '—')} |`,
    );
  }
  out.push('');

  for (const c of report.clauses) {
    out.push(
      `<a id="${anchor(c.clause)}"></a>`,
      '',
      `### ${c.clause} — ${VERDICT[c.verdict]}`,
      '',
      text(c.title),
      '',
    );
    for (const reason of c.reasons) out.push(`> ${text(reason)}`, '');
    for (const { scenario, check } of c.checks) {
      const result = report.scenarios.find((s) => s.name === scenario)!;
      out.push(`- ${mark(check)} \`${scenario}\`: ${text(check.description)}${detail(check.detail)}`);
      for (const { at, hop } of evidenceHops(result, check)) {
        out.push(
          `  - #${at} ${text(hop.from)} → ${text(hop.to)} ${code(describeMessage(hop))} ${code(hop.startLine)}`,
        );
      }
    }
    out.push('');
  }

  out.push('## Scenarios', '');
  for (const result of report.scenarios) out.push(...scenarioSection(result));
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function scenarioSection(result: ScenarioResult): string[] {
  const out: string[] = [];
  out.push(
    `### ${text(result.name)} — ${SCENARIO[scenarioVerdict(result)]}`,
    '',
    `${text(result.title)} (${formatMs(result.durationMs)}; clauses ${result.clauses.join(', ') || '—'}; ${result.hops.length} messages)`,
    '',
  );
  if (result.notApplicable !== undefined) out.push(`> **Not applicable:** ${text(result.notApplicable)}`, '');
  if (result.inconclusive !== undefined)
    out.push(`> **Inconclusive, a step could not be driven:** ${text(result.inconclusive)}`, '');
  if (result.error !== undefined) out.push(`> **Did not run to its end:** ${text(result.error)}`, '');
  if (result.checks.length > 0) {
    out.push('| | Clause | Check | Detail | Evidence |', '|---|---|---|---|---|');
    for (const check of result.checks) {
      out.push(
        `| ${mark(check)} | ${check.clause ?? '—'} | ${cell(check.description)} | ${cell(check.detail ?? '')} | ${check.evidence.map((i) => `#${i}`).join(' ')} |`,
      );
    }
    out.push('');
  }
  if (result.hops.length > 0) {
    const ladder = renderLadder(result.hops, { width: 120 });
    const fence = '`'.repeat(Math.max(3, ...(ladder.match(/`+/g) ?? []).map((r) => r.length + 1)));
    out.push(`${fence}text`, ladder, fence, '');
  }
  return out;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function anchor(clause: string): string {
  return `clause-${clause.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

function detail(value: string | undefined): string {
  return value === undefined || value === '' ? '' : ` — ${text(value)}`;
}

/** Markdown-inert text: inline markup and HTML escaped (CommonMark §2.4), block markup at the start, one line. */
function text(value: string): string {
  return oneLine(value)
    .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`)
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;')
    .replace(/^([#>+=-])/, '\\$1');
}

function cell(value: string): string {
  return text(value);
}

/** An inline code span that holds any text (CommonMark §6.1: a longer backtick fence than any run inside). */
function code(value: string): string {
  const line = oneLine(value);
  if (line === '') return '';
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
