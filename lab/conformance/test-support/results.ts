// Test support: synthetic scenario results over the deferred-delivery flow of lab/trace's test support
// (real trace records merged into hops), with checks that pass, fail, or name no clause.
import { type Hop, mergeNodeTraces } from '../../trace/index.js';
import { recordDeferredFlow } from '../../trace/test-support/deferred-flow.js';
import type { Check, ClauseId, ScenarioResult } from '../../scenarios/types.js';

/** The merged hops of the deferred flow: INVITE pf→cscf, INVITE cscf→alice, 200, …, MSRP SEND, BYE. */
export function deferredHops(): Hop[] {
  return mergeNodeTraces(recordDeferredFlow().records());
}

/** Position of the first hop whose describeMessage-style label starts with `label` (e.g. `MSRP SEND`). */
export function hopAt(hops: readonly Hop[], label: string, from?: string): number {
  const at = hops.findIndex((h) => h.label === label && (from === undefined || h.from === from));
  if (at < 0) throw new Error(`no hop ${label}${from ? ` from ${from}` : ''}`);
  return at;
}

export function check(
  clause: ClauseId | undefined,
  description: string,
  passed: boolean,
  evidence: number[] = [],
  detail?: string,
): Check {
  return {
    ...(clause === undefined ? {} : { clause }),
    description,
    passed,
    evidence,
    ...(detail === undefined ? {} : { detail }),
  };
}

export function result(
  name: string,
  clauses: ClauseId[],
  checks: Check[],
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  return {
    name,
    title: `${name} title`,
    clauses,
    passed: checks.length > 0 && checks.every((c) => c.passed) && extra.error === undefined,
    checks,
    hops: deferredHops(),
    durationMs: 42,
    ...extra,
  };
}

export const META = {
  startedAt: '2026-11-24T10:15:00.000Z',
  durationMs: 1234,
  labUrl: 'http://127.0.0.1:8080',
};
