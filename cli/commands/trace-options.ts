// The wire-trace options every node command takes (README "Limits"): how much of its wire a node keeps.
import type { Command } from 'commander';

export function traceOptions(command: Command): Command {
  return command
    .option(
      '--trace-max-records <n>',
      'wire trace records kept, the oldest go first (CPM_LAB_TRACE_MAX_RECORDS, default 10000)',
    )
    .option(
      '--trace-max-bytes <bytes>',
      'wire trace bytes kept, the oldest records go first (CPM_LAB_TRACE_MAX_BYTES, default 67108864)',
    );
}
