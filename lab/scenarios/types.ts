// What a scenario is and what it yields: named checks, each tied to a clause of the CR where it proves
// one (docs/clauses.md IDs), with the wire evidence (hops of the merged trace) behind it.
import type { ClauseId } from '../../protocol/cpm/index.js';
import type { Hop } from '../trace/index.js';
import type { SutRun } from '../sut/index.js';
import type { LabClient } from './lab-client.js';

/** Clause IDs of docs/clauses.md: the registry of protocol/cpm. */
export { CLAUSE_IDS, type ClauseId } from '../../protocol/cpm/index.js';

/**
 * pass / fail: judged; not-applicable: the check reads what an implementation under test does not show on
 * the wire (its internal state), so it was not judged; inconclusive: it could not be judged in this run.
 */
export type CheckVerdict = 'pass' | 'fail' | 'inconclusive' | 'not-applicable';

export interface Check {
  /** The clause this check proves, when it proves one. */
  clause?: ClauseId;
  /** What was checked, in one line: `INVITE carries Accept-Contact cpm.deferred;require;explicit`. */
  description: string;
  /** True only for a check judged and passed. */
  passed: boolean;
  /** Set when the check was not judged (passed is then false): why is in `detail`. */
  verdict?: 'inconclusive' | 'not-applicable';
  /** Why it failed, or the observed value. */
  detail?: string;
  /** Indexes into ScenarioResult.hops of the messages that show it. */
  evidence: number[];
}

/**
 * What a scenario needs from the lab beyond its nodes' own APIs. `cscf-control`: the lab's own CSCF and its
 * control API (faults the network injects: network-initiated de-registration, an unreachable UE).
 */
export type LabCapability = 'cscf-control';

/** Why a scenario that needs a capability does not apply to a lab without it. */
export const CAPABILITY_REASONS: Record<LabCapability, string> = {
  'cscf-control':
    "needs the lab's own CSCF (its control API injects the fault); this lab's CSCF is an external SIP server",
};

/** A check's verdict: `verdict` when it was not judged, else pass or fail. */
export function checkVerdict(check: Check): CheckVerdict {
  return check.verdict ?? (check.passed ? 'pass' : 'fail');
}

export interface ScenarioResult {
  name: string;
  title: string;
  clauses: ClauseId[];
  /** Every check passed (false for a scenario that did not apply: see notApplicable). */
  passed: boolean;
  /** Set when the scenario does not apply to this lab (it ran nothing and judges no clause): the reason. */
  notApplicable?: string;
  checks: Check[];
  /** The merged trace of the scenario's own messages. */
  hops: Hop[];
  /** Set when the scenario could not run to its end (a step failed or timed out). */
  error?: string;
  /**
   * Set when a step could not be driven (the system under test cannot be made to act in the chosen mode, or
   * the operator skipped it): the reason. The scenario stopped there; its checks were not judged.
   */
  inconclusive?: string;
  durationMs: number;
}

export interface ScenarioContext {
  lab: LabClient;
  /** The system under test, when the run judges an implementation outside the lab (docs/sut.md). */
  sut?: SutRun;
  /** Progress lines for the terminal / the console. */
  step: (text: string) => void;
}

export interface Scenario {
  name: string;
  title: string;
  description: string;
  /** The clauses it is meant to prove. */
  clauses: ClauseId[];
  /** What it needs from the lab; without it the scenario is not applicable (ScenarioResult.notApplicable). */
  requires?: LabCapability[];
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
