// Mode `manual`: every action is an instruction to the operator (operator.ts). A skipped or unanswered prompt
// makes the step undrivable: the scenario is inconclusive with the operator's answer as the reason.
import type { Policy } from '../topology/index.js';
import { type ClientSutDriver, type PfSutDriver, type SutGroup, Undrivable } from './driver.js';
import type { Operator } from './operator.js';

/** What the operator needs to enter a group into a client or a PF, on one line each. */
export function groupFacts(group: SutGroup): string {
  return [
    `conference URI ${group.conferenceUri}`,
    `Conversation-ID ${group.conversationId}`,
    `Contribution-ID ${group.contributionId}`,
    `subject "${group.subject}"`,
    `participants ${group.participants.join(', ')}`,
  ].join('; ');
}

abstract class ManualDriver {
  readonly mode = 'manual' as const;
  constructor(
    readonly operator: Operator,
    readonly timeoutMs: number,
  ) {}

  protected async ask(instruction: string): Promise<void> {
    const answer = await this.operator.ask(instruction, this.timeoutMs);
    if (answer === 'skip') throw new Undrivable(`the operator could not: ${instruction}`);
    if (answer === 'timeout')
      throw new Undrivable(
        `no answer from the operator within ${Math.round(this.timeoutMs / 1000)} s: ${instruction}`,
      );
  }
}

export class ManualClientDriver extends ManualDriver implements ClientSutDriver {
  /** The policy the operator was last told (every run starts from "accept", stated at the start). */
  #policy: Policy = 'accept';
  readonly #groupPolicy = new Map<string, Policy>();

  constructor(
    operator: Operator,
    timeoutMs: number,
    readonly user: string,
  ) {
    super(operator, timeoutMs);
  }

  online(): Promise<void> {
    return this.ask(`${this.user}: register the client under test with the lab's CSCF (bring it online)`);
  }

  offline(how: 'deregister' | 'drop'): Promise<void> {
    return this.ask(
      how === 'drop'
        ? `${this.user}: cut the client's network (no de-registration: unplug, flight mode, kill its connection)`
        : `${this.user}: take the client offline with a de-registration (REGISTER Expires: 0)`,
    );
  }

  learnGroup(group: SutGroup): Promise<void> {
    return this.ask(
      `${this.user}: add this group to the client (as if it had taken part before): ${groupFacts(group)}`,
    );
  }

  send(group: SutGroup, text: string): Promise<void> {
    return this.ask(`${this.user}: write "${text}" in the group ${group.conferenceUri}`);
  }

  async policy(policy: Policy, group?: SutGroup): Promise<void> {
    // Only a change is asked for (each scenario has fresh groups: a policy left on an old group is harmless).
    const current = group ? (this.#groupPolicy.get(group.conferenceUri) ?? this.#policy) : this.#policy;
    if (current === policy) return;
    await this.ask(
      `${this.user}: from now on ${ANSWERS[policy]} invitations from the PF${group ? ` for the group ${group.conferenceUri}` : ''}`,
    );
    if (group) this.#groupPolicy.set(group.conferenceUri, policy);
    else this.#policy = policy;
  }
}

const ANSWERS: Record<Policy, string> = {
  accept: 'accept (200 OK)',
  decline: 'decline (603 Decline: leave the group)',
  later: 'postpone (480: keep the messages for later)',
};

export class ManualPfDriver extends ManualDriver implements PfSutDriver {
  createGroup(group: SutGroup): Promise<void> {
    return this.ask(`PF: create the group "${group.id}": ${groupFacts(group)}`);
  }

  addParticipant(group: SutGroup, aor: string): Promise<void> {
    return this.ask(`PF: add ${aor} to the group ${group.conferenceUri}`);
  }

  removeParticipant(group: SutGroup, aor: string): Promise<void> {
    return this.ask(`PF: remove ${aor} from the group ${group.conferenceUri}`);
  }

  endSession(group: SutGroup): Promise<void> {
    return this.ask(
      `PF: end the group session of ${group.conferenceUri} (BYE to every connected participant)`,
    );
  }
}
