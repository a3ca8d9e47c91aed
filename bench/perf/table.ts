// The benchmark table (issue 20's rows): each benchmark file appends its row to one JSON file; the global
// teardown prints the table when every file has run (vitest.perf.config.ts).
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'bench-results',
  'perf.jsonl',
);

/** A short run (CI): fewer messages, rates and clients; the same measures. */
export const SHORT = process.env['CPM_LAB_BENCH_SHORT'] === '1';

export interface Row {
  measure: string;
  /** Our figure, with its unit. */
  ours: string;
  /** The anchor's figure from the same run (SIPp against Kamailio, the libsql floor), when there is one. */
  anchor?: string;
  /** ours / anchor, in the direction where ≥ 1 is as good as the anchor. */
  ratio?: number;
  goal: string;
  met: boolean;
  /** How it was measured, one line. */
  how: string;
}

export function resetResults(): void {
  rmSync(RESULTS, { force: true });
  mkdirSync(dirname(RESULTS), { recursive: true });
}

export function recordRow(row: Row): void {
  mkdirSync(dirname(RESULTS), { recursive: true });
  appendFileSync(RESULTS, `${JSON.stringify(row)}\n`);
}

export function readRows(): Row[] {
  if (!existsSync(RESULTS)) return [];
  return readFileSync(RESULTS, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

/** A Markdown table (it reads in a terminal and pastes into the README). */
export function renderTable(rows: readonly Row[]): string {
  const lines = [
    '| Measure | Ours | Anchor (same run) | Ratio | Goal | Met |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.measure} | ${r.ours} | ${r.anchor ?? '—'} | ${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`} | ${r.goal} | ${r.met ? 'yes' : '**no**'} |`,
    ),
  ];
  return lines.join('\n');
}

/**
 * Rounds of each anchored measure (the issue's table asks for three): ours and the anchor alternate, and the
 * row reports the median round of each. CPM_LAB_BENCH_REPEAT overrides; the short run (CI) does one.
 */
export const REPEAT = Math.max(1, Number(process.env['CPM_LAB_BENCH_REPEAT'] ?? (SHORT ? 1 : 3)) || 1);

/** The median element by `key` (for an even count, the lower of the two middle ones). */
export function medianBy<T>(values: readonly T[], key: (value: T) => number): T {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** "1000/s (rounds: 1000, 1500, 1000)" when there was more than one round. */
export function roundsNote(values: readonly number[], unit: string): string {
  return values.length > 1 ? ` (rounds: ${values.map((v) => `${v}${unit}`).join(', ')})` : '';
}
