// What every scenario shares: the runner that wraps a scenario's body (baseline, trace bookmark, checks,
// the not-applicable verdict), and the small wire and wait helpers several scenarios use.
import { randomBytes } from 'node:crypto';
import { parseCpim } from '../../protocol/cpim/index.js';
import { imdnMessageId } from '../../protocol/imdn/index.js';
import { Undrivable } from '../sut/index.js';
import type { Hop } from '../trace/index.js';
import { Checks } from './checks.js';
import type { TopologyNode } from './lab-client.js';
import { type ScenarioGroup, Steps } from './steps.js';
import {
  CAPABILITY_REASONS,
  type ClauseId,
  type LabCapability,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from './types.js';
import { requestHops, responsesTo } from './wire.js';

/** The roles every scenario casts (Steps.cast binds them to the lab's clients). */
export const USERS = ['alice', 'bob', 'carol'];

export type Body = (s: Steps, c: Checks, hops: () => Promise<Hop[]>) => Promise<void>;

export function scenario(
  name: string,
  title: string,
  clauses: ClauseId[],
  description: string,
  body: Body,
  requires: LabCapability[] = [],
  /** The roles it casts onto the lab's clients, in order (default alice, bob, carol). */
  roles: readonly string[] = USERS,
  /** Roles (among `roles`) played by clients created for the run (POST /clients) and removed after it. */
  created: readonly string[] = [],
): Scenario {
  return {
    name,
    title,
    clauses,
    description,
    ...(requires.length ? { requires } : {}),
    async run(ctx: ScenarioContext): Promise<ScenarioResult> {
      const started = performance.now();
      // One look at the lab's nodes: what the scenario needs, and who plays its roles.
      let nodes: TopologyNode[];
      try {
        nodes = await ctx.lab.nodes();
      } catch (err) {
        // The lab does not answer: the scenario could not run (as when a step fails).
        return {
          name,
          title,
          clauses,
          passed: false,
          checks: [],
          hops: [],
          error: (err as Error).message,
          durationMs: Math.round(performance.now() - started),
        };
      }
      const missing = missingCapability(nodes, requires);
      if (missing !== undefined) {
        ctx.step(`not applicable: ${CAPABILITY_REASONS[missing]}`);
        return {
          name,
          title,
          clauses,
          passed: false,
          notApplicable: CAPABILITY_REASONS[missing],
          checks: [],
          hops: [],
          durationMs: Math.round(performance.now() - started),
        };
      }
      const sutRole = ctx.sut && 'client' in ctx.sut ? ctx.sut.spec.role : undefined;
      if (sutRole !== undefined && !roles.includes(sutRole)) {
        const reason = `the client under test plays ${sutRole}, a role this scenario does not cast (${roles.join(', ')})`;
        ctx.step(`not applicable: ${reason}`);
        return {
          name,
          title,
          clauses,
          passed: false,
          notApplicable: reason,
          checks: [],
          hops: [],
          durationMs: Math.round(performance.now() - started),
        };
      }
      const steps = new Steps(ctx.lab, ctx.step, ctx.sut);
      const checks = new Checks();
      let hops: Hop[] = [];
      let error: string | undefined;
      let inconclusive: string | undefined;
      let bookmark: Record<string, number> | undefined;
      const createdUsers = new Map<string, string>();
      try {
        // Roles created for the run get a client of their own (a fresh user name), the others are cast onto the
        // lab's clients (a lab with other user names works).
        for (const role of created) {
          const user = `${role}-${randomBytes(3).toString('hex')}`;
          await ctx.lab.post('/clients', { user });
          createdUsers.set(role, user);
          ctx.step(`${role}: a client created for this run (${user})`);
        }
        const clients = nodes.filter((n) => n.role === 'client').map((n) => n.name);
        // The client under test plays its role under its own user name (it is not one of the lab's nodes).
        const fixed = new Map(createdUsers);
        if (sutRole !== undefined && ctx.sut && 'client' in ctx.sut) fixed.set(sutRole, ctx.sut.spec.user!);
        steps.cast(roles, clients, fixed);
        await steps.baseline(roles);
        bookmark = await ctx.lab.traceBookmark();
        const since = bookmark;
        steps.hops = async () => steps.asRoles(await ctx.lab.hops(since));
        // The checks read users by role; the result keeps the hops as the lab named them.
        const readHops = async () => {
          hops = await ctx.lab.hops(since);
          return steps.asRoles(hops);
        };
        await body(steps, checks, readHops);
        if (hops.length === 0) await readHops();
      } catch (err) {
        if (err instanceof Undrivable) {
          inconclusive = err.message;
          ctx.step(`inconclusive: ${err.message}`);
        } else error = (err as Error).message;
        try {
          // Everything up to the failure (a check between steps may have read only the start), and only this
          // run's messages (from its bookmark), never the lab's whole history.
          if (bookmark !== undefined) hops = await ctx.lab.hops(bookmark);
        } catch {
          // the lab is gone: report what we have
        }
      }
      for (const user of createdUsers.values()) {
        await ctx.lab.delete(`/clients/${encodeURIComponent(user)}`).catch((err: unknown) => {
          error ??= `the client created for the run (${user}) could not be removed: ${(err as Error).message}`;
        });
      }
      const result: ScenarioResult = {
        name,
        title,
        clauses,
        passed:
          error === undefined &&
          inconclusive === undefined &&
          checks.list.some((c) => c.passed) &&
          checks.passed,
        checks: checks.list,
        hops,
        durationMs: Math.round(performance.now() - started),
      };
      if (error !== undefined) result.error = error;
      if (inconclusive !== undefined) result.inconclusive = inconclusive;
      return result;
    },
  };
}

/** The first capability in `requires` this lab lacks (`cscf-control`: no CSCF among its nodes). */
function missingCapability(
  nodes: readonly TopologyNode[],
  requires: readonly LabCapability[],
): LabCapability | undefined {
  return requires.find(
    (capability) => capability === 'cscf-control' && !nodes.some((n) => n.role === 'cscf'),
  );
}

/** The PF's invitation to `user` for `group`, as it reaches the user (after the CSCF), and the answer. */
export function invitationTo(hops: Hop[], user: string, group: ScenarioGroup) {
  const invite = requestHops(hops, { method: 'INVITE', to: user }).find(
    (h) =>
      h.message.get('conversation-id')?.toLowerCase() === group.conversationId &&
      h.message.fromTag !== undefined &&
      h.message.toTag === undefined,
  );
  const answer = invite ? responsesTo(hops, invite.message, user)[0] : undefined;
  // The PF is the UAC: its ACK reaches the user through the CSCF.
  const ack = invite
    ? requestHops(hops, { method: 'ACK', to: user }).find((h) => h.message.callId === invite.message.callId)
    : undefined;
  return { invite, answer, ack };
}

/** The imdn.Message-ID of a CPIM body, or undefined when it is not readable CPIM. */
export function cpimMessageId(body: Buffer): string | undefined {
  try {
    return imdnMessageId(parseCpim(body));
  } catch {
    return undefined;
  }
}
