// Terminal output of a conformance run: progress lines and the summary table.
import type { ConformanceProgress } from './run.js';
import { checkVerdict } from '../scenarios/types.js';
import { type ConformanceReport, reportFacts, reportHeadline, type Verdict } from './report.js';

const MARK: Record<Verdict, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  inconclusive: 'INCONCLUSIVE',
  'not-covered': 'NOT COVERED',
  'not-applicable': 'N/A',
};

/** One progress line per event (undefined for events not worth a line), without control characters. */
export function progressLine(event: ConformanceProgress): string | undefined {
  const line = rawProgressLine(event);
  return line === undefined ? undefined : printable(line);
}

/** Text from the lab as one terminal line: control characters (ANSI escapes, line breaks) become spaces. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function rawProgressLine(event: ConformanceProgress): string | undefined {
  switch (event.type) {
    case 'start':
      return `conformance: ${event.scenarios.length} scenarios against ${event.labUrl}`;
    case 'scenario-start':
      return `[${event.index + 1}/${event.total}] ${event.scenario}: ${event.title}`;
    case 'step':
      return `      ${event.text}`;
    case 'scenario-end': {
      const r = event.result;
      if (r.notApplicable !== undefined) return `      → not applicable: ${r.notApplicable}`;
      if (r.inconclusive !== undefined) return `      → inconclusive: ${r.inconclusive}`;
      const failed = r.checks.filter((c) => checkVerdict(c) === 'fail').length;
      const verdict = r.passed
        ? 'pass'
        : [
            'FAIL',
            failed > 0 || r.error === undefined ? ` (${failed} of ${r.checks.length} checks failed)` : '',
            r.error === undefined ? '' : `: ${r.error}`,
          ].join('');
      return `      → ${verdict}; ${r.checks.length} checks, ${r.hops.length} messages, ${Math.round(r.durationMs)} ms`;
    }
    case 'end':
      return undefined;
  }
}

/** The clause table: clause, verdict, passed/total checks, scenarios; then the totals line. */
export function summaryTable(report: ConformanceReport): string {
  const rows = report.clauses.map((c) => [
    c.clause,
    MARK[c.verdict],
    `${c.checks.filter((e) => e.check.passed).length}/${c.checks.filter((e) => e.check.verdict === undefined).length}`,
    printable(c.scenarios.join(', ') || '—'),
  ]);
  const head = ['Clause', 'Verdict', 'Checks', 'Scenarios'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [
    ...(report.iut
      ? reportFacts(report)
          .slice(0, 1)
          .map(([k, v]) => printable(`${k}: ${v}`))
      : []),
    ...(report.iut ? [''] : []),
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${reportHeadline(report)} (${(report.durationMs / 1000).toFixed(1)} s)`,
  ].join('\n');
}
