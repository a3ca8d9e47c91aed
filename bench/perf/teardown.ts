// vitest.perf.config.ts globalSetup: a fresh results file before the benchmarks, the table after them.
import { readRows, renderTable, resetResults, SHORT } from './table.js';

export function setup(): void {
  resetResults();
}

export function teardown(): void {
  const rows = readRows();
  process.stdout.write(
    `\nCPM Lab benchmarks${SHORT ? ' (short form)' : ''} — ${new Date().toISOString()}\n\n${renderTable(rows)}\n\n` +
      rows.map((r) => `- ${r.measure}: ${r.how}`).join('\n') +
      '\n',
  );
}
