// Running the conformance scenarios against a lab and turning their results into the report.
import { packageCommit, packageVersion } from '../../runtime/index.js';
import type { LabClient } from '../scenarios/lab-client.js';
import { sipHops } from '../scenarios/wire.js';
import type { ClauseId, Scenario, ScenarioResult } from '../scenarios/types.js';
import type { SutRun } from '../sut/index.js';
import { buildReport, type ConformanceReport, type ImplementationUnderTest } from './report.js';

export type ConformanceProgress =
  | { type: 'start'; labUrl: string; scenarios: string[] }
  | { type: 'scenario-start'; scenario: string; title: string; index: number; total: number }
  | { type: 'step'; scenario: string; text: string }
  | { type: 'scenario-end'; result: ScenarioResult; index: number; total: number }
  | { type: 'end'; report: ConformanceReport };

/** Runs one scenario; never throws (a thrown error becomes a failed result with `error` set). */
export type ScenarioRunner = (scenario: Scenario, step: (text: string) => void) => Promise<ScenarioResult>;

export interface RunScenariosOptions {
  lab: LabClient;
  scenarios: readonly Scenario[];
  /** How to run one scenario (default: scenario.run({lab, step})). */
  runner?: ScenarioRunner;
  onProgress?: (event: ConformanceProgress) => void;
  /** Judge only these clauses (default: every clause of the registry). */
  clauses?: readonly ClauseId[];
  /** The implementation under test (docs/sut.md): the scenarios drive it and judge it from the wire. */
  sut?: SutRun;
}

/**
 * Runs the scenarios one after the other (they share the lab's users and groups) and builds the report.
 * The lab API is asked for its nodes first, so an unreachable lab fails at once with LabRequestError.
 */
export async function runScenarios(options: RunScenariosOptions): Promise<ConformanceReport> {
  const { lab, scenarios } = options;
  const progress = options.onProgress ?? (() => {});
  const sut = options.sut;
  const runner: ScenarioRunner =
    options.runner ?? ((scenario, step) => scenario.run({ lab, step, ...(sut ? { sut } : {}) }));
  const started = Date.now();
  const clock = performance.now();
  const { nodes, peers } = await lab.topology();
  const external = peers.find((p) => p.role === 'cscf');
  const pfNode = nodes.find((n) => n.role === 'pf');
  // The PF's SIP engine, as it reports it (a PF without it, e.g. an older node, leaves the line out).
  const pfEngine = pfNode
    ? await lab
        .node(pfNode.name)
        .get<{ sipEngine?: string }>('/state')
        .then((s) => s.sipEngine)
        .catch(() => undefined)
    : undefined;
  progress({ type: 'start', labUrl: lab.url, scenarios: scenarios.map((s) => s.name) });
  const results: ScenarioResult[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    const total = scenarios.length;
    progress({ type: 'scenario-start', scenario: scenario.name, title: scenario.title, index, total });
    const step = (text: string) => progress({ type: 'step', scenario: scenario.name, text });
    const t0 = performance.now();
    let result: ScenarioResult;
    try {
      result = await runner(scenario, step);
    } catch (err) {
      result = failedResult(scenario, err, performance.now() - t0);
    }
    results.push(result);
    progress({ type: 'scenario-end', result, index, total });
  }
  const commit = packageCommit();
  const report = buildReport(results, {
    startedAt: new Date(started).toISOString(),
    durationMs: Math.round(performance.now() - clock),
    labUrl: lab.url,
    labVersion: packageVersion(),
    ...(commit === undefined ? {} : { labCommit: commit }),
    ...(sut === undefined ? {} : { iut: implementationUnderTest(sut, results) }),
    ...(options.clauses === undefined ? {} : { clauses: options.clauses }),
    cscf: external
      ? `${external.product} at ${external.sip}${external.note ? ` (${external.note})` : ''}`
      : "the lab's own (mock CSCF)",
    ...(pfEngine === undefined ? {} : { pfSipEngine: pfEngine }),
  });
  progress({ type: 'end', report });
  return report;
}

/** The result of a scenario that threw instead of returning its result. */
export function failedResult(scenario: Scenario, err: unknown, durationMs: number): ScenarioResult {
  return {
    name: scenario.name,
    title: scenario.title,
    clauses: [...scenario.clauses],
    passed: false,
    checks: [],
    hops: [],
    error: err instanceof Error ? err.message : String(err),
    durationMs: Math.round(durationMs),
  };
}

/** The SUT as the report names it, with what it calls itself on the wire (User-Agent or Server). */
export function implementationUnderTest(
  sut: SutRun,
  results: readonly ScenarioResult[],
): ImplementationUnderTest {
  const { spec } = sut;
  const iut: ImplementationUnderTest = { side: spec.side, mode: spec.mode };
  if (spec.name !== undefined) iut.name = spec.name;
  // Its messages are named after the party it is: its user (a client), `pf` (a PF).
  const party = spec.side === 'client' ? spec.user! : 'pf';
  if (spec.side === 'client') {
    iut.user = spec.user!;
    iut.role = spec.role!;
  } else iut.sip = `${spec.pf!.host}:${spec.pf!.port}`;
  const products = new Set<string>();
  for (const result of results) {
    for (const h of sipHops(result.hops)) {
      if (h.hop.from !== party) continue;
      const value = h.message.get(h.message.isRequest ? 'user-agent' : 'server');
      if (value) products.add(value.trim().slice(0, 200));
    }
  }
  if (products.size > 0) iut.product = [...products].join(' / ');
  return iut;
}
