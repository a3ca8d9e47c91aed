// Mode `network`: the lab does to the SUT only what the network can do on its own, through its CSCF's control
// API: a network-initiated de-registration, a dropped flow; "online" waits for the SUT to register again by
// itself. Everything that needs the user (write, choose, know a group) cannot be driven: inconclusive.
import { type LabClient, LabRequestError } from '../scenarios/lab-client.js';
import type { Policy } from '../topology/index.js';
import { type ClientSutDriver, type PfSutDriver, type SutGroup, Undrivable } from './driver.js';

const NEEDS_USER = 'needs the user of the client under test (mode network drives only what the network can)';

export class NetworkClientDriver implements ClientSutDriver {
  readonly mode = 'network' as const;

  constructor(
    readonly lab: LabClient,
    readonly user: string,
    readonly timeoutMs: number,
  ) {}

  async #cscf(path: string): Promise<void> {
    const { nodes } = await this.lab.topology();
    if (!nodes.some((n) => n.role === 'cscf'))
      throw new Undrivable(
        "needs the lab's own CSCF (its control API); this lab's CSCF is an external SIP server",
      );
    try {
      await this.lab.node('cscf').post(path);
    } catch (err) {
      // 409: nothing the network can do (no TCP flow to drop): the step cannot be driven.
      if (err instanceof LabRequestError && err.status === 409) throw new Undrivable(err.message);
      throw err;
    }
  }

  async online(): Promise<void> {
    const { nodes } = await this.lab.topology();
    if (!nodes.some((n) => n.role === 'cscf'))
      throw new Undrivable("cannot see the SUT's registration: this lab's CSCF is an external SIP server");
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const bindings = await this.lab
        .node('cscf')
        .get<unknown[]>(`/bindings/${encodeURIComponent(this.user)}`);
      if (bindings.length > 0) return;
      if (Date.now() > deadline)
        throw new Undrivable(
          `${this.user} did not register again on its own within ${Math.round(this.timeoutMs / 1000)} s (mode network cannot make it register)`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  offline(how: 'deregister' | 'drop'): Promise<void> {
    return this.#cscf(
      `/users/${encodeURIComponent(this.user)}/${how === 'drop' ? 'drop-flows' : 'deregister'}`,
    );
  }

  learnGroup(group: SutGroup): Promise<void> {
    throw new Undrivable(`making the client know the group ${group.conferenceUri} ${NEEDS_USER}`);
  }

  send(group: SutGroup, text: string): Promise<void> {
    throw new Undrivable(`writing "${text}" in ${group.conferenceUri} ${NEEDS_USER}`);
  }

  async policy(policy: Policy, group?: SutGroup): Promise<void> {
    // Accepting is what a client does unless its user says otherwise: nothing to drive.
    if (policy === 'accept') return;
    throw new Undrivable(`answering ${policy} ${group ? `in ${group.conferenceUri} ` : ''}${NEEDS_USER}`);
  }
}

const NEEDS_ADMIN = "needs the PF's administration (mode network cannot provision a PF)";

export class NetworkPfDriver implements PfSutDriver {
  readonly mode = 'network' as const;

  createGroup(group: SutGroup): Promise<void> {
    throw new Undrivable(`creating the group ${group.id} ${NEEDS_ADMIN}`);
  }

  addParticipant(group: SutGroup, aor: string): Promise<void> {
    throw new Undrivable(`adding ${aor} to ${group.id} ${NEEDS_ADMIN}`);
  }

  removeParticipant(group: SutGroup, aor: string): Promise<void> {
    throw new Undrivable(`removing ${aor} from ${group.id} ${NEEDS_ADMIN}`);
  }

  endSession(group: SutGroup): Promise<void> {
    throw new Undrivable(`ending the session of ${group.id} ${NEEDS_ADMIN}`);
  }
}
