// The actions scenarios take through the lab API, and the conditions they wait for. Each scenario works
// on a group of its own (fresh IDs), so scenarios never disturb each other or the topology's groups.
import { randomBytes } from 'node:crypto';
import type { ClientSutDriver, PfSutDriver, SutGroup, SutRun } from '../sut/index.js';
import { provisionedGroupIds } from '../topology/index.js';
import { escapeRegExp, groupHops } from './wire.js';
import type { Hop } from '../trace/index.js';
import { type LabClient, waitUntil } from './lab-client.js';
import {
  acceptedByPfFor,
  deregisteredAtPf,
  invitationFinished,
  lastInvitation,
  notificationTo,
  textsReceived,
  textsSentAndAcknowledged,
} from './observe.js';

export { escapeRegExp };

export interface ScenarioGroup {
  /** PF group id and the name in `sip:group-<name>@domain`. */
  name: string;
  conferenceUri: string;
  conversationId: string;
  contributionId: string;
  subject: string;
  participants: string[];
}

interface PfGroupView {
  id: string;
  session: 'active' | 'inactive';
  connected: string[];
  participants: Array<{ uri: string; status: string }>;
}

interface PfStateView {
  domain: string;
  /** AoRs the PF counts online (registered). */
  online: string[];
  groups: PfGroupView[];
  backlog: Array<{ recipient: string; groupId: string; pending: number }>;
  deliveries: Array<{ recipient: string; groupId: string; status: string }>;
  inFlight: Array<{ recipient?: string; user?: string; groupId: string }>;
}

export interface ReceivedView {
  groupKey: string;
  messageId: string;
  from: string;
  text?: string;
  arrivedOn?: string;
}

interface ClientGroupView {
  key: string;
  conferenceUri: string;
  sessionState: 'active' | 'inactive';
  left: boolean;
  participants: Array<{ uri: string }>;
}

export class Steps {
  readonly lab: LabClient;
  /** The implementation under test, when the run judges one (docs/sut.md); its actions go to its driver. */
  readonly sut: SutRun | undefined;
  readonly #step: (text: string) => void;
  /** Role (as the scenarios name them: alice, bob, carol) → the lab's user who plays it. */
  readonly #cast = new Map<string, string>();
  domain = 'ims.lab';
  /**
   * The run's merged trace so far, parties named by their roles (set by the scenario runner): what the waits
   * on an implementation under test observe.
   */
  hops: () => Promise<Hop[]> = async () => [];

  constructor(lab: LabClient, step: (text: string) => void, sut?: SutRun) {
    this.lab = lab;
    this.#step = step;
    this.sut = sut;
  }

  /** The role the client under test plays (when the SUT is a client). */
  get sutRole(): string | undefined {
    return this.sut && 'client' in this.sut ? this.sut.spec.role : undefined;
  }

  /** The driver of the client under test when `role` is the role it plays. */
  sutClient(role: string): ClientSutDriver | undefined {
    return this.sut && 'client' in this.sut && this.sut.spec.role === role ? this.sut.client : undefined;
  }

  /** The driver of the PF under test (when the SUT is a PF: the lab has no PF of its own then). */
  get sutPf(): PfSutDriver | undefined {
    return this.sut && 'pf' in this.sut ? this.sut.pf : undefined;
  }

  #sutGroup(group: ScenarioGroup): SutGroup {
    return {
      id: group.name,
      conferenceUri: group.conferenceUri,
      conversationId: group.conversationId,
      contributionId: group.contributionId,
      subject: group.subject,
      participants: group.participants.map((r) => this.aor(r)),
    };
  }

  /** The group's hops of the run so far (roles as names). */
  async #groupHops(group: ScenarioGroup): Promise<Hop[]> {
    return groupHops(await this.hops(), group);
  }

  say(text: string): void {
    this.#step(text);
  }

  /**
   * Bind the scenario's roles to the lab's clients: `fixed` roles to their users (clients created for the
   * run), then a client of the same name plays its role, the others take the remaining clients in topology
   * order. Throws when the lab has too few clients.
   */
  cast(
    roles: readonly string[],
    clients: readonly string[],
    fixed: ReadonlyMap<string, string> = new Map(),
  ): void {
    const open = roles.filter((r) => !fixed.has(r));
    if (clients.length < open.length) {
      throw new Error(
        `the scenario needs ${open.length} clients (roles ${open.join(', ')}); the lab has ${clients.length}: ${clients.join(', ') || 'none'} (add clients to its topology, or let the scenario create them for the run: docs/scenarios.md)`,
      );
    }
    const free = clients.filter((c) => !open.includes(c));
    for (const role of roles) {
      this.#cast.set(role, fixed.get(role) ?? (clients.includes(role) ? role : free.shift()!));
    }
    const recast = roles.filter((r) => this.#cast.get(r) !== r);
    if (recast.length > 0) this.say(`roles: ${recast.map((r) => `${r} → ${this.#cast.get(r)}`).join(', ')}`);
  }

  /** The lab's user playing `role`. */
  user(role: string): string {
    return this.#cast.get(role) ?? role;
  }

  aor(role: string): string {
    return `sip:${this.user(role)}@${this.domain}`;
  }

  /** Matches a SIP URI (or a header holding one) of the user playing `role`: `sip:dave@…`. */
  userPattern(role: string): RegExp {
    return new RegExp(`\\bsips?:${escapeRegExp(this.user(role))}@`, 'i');
  }

  /** The hops with users named by their roles (the names the scenarios' checks use); indexes kept. */
  asRoles(hops: readonly Hop[]): Hop[] {
    const roleOf = new Map([...this.#cast].filter(([r, u]) => r !== u).map(([r, u]) => [u, r]));
    if (roleOf.size === 0) return [...hops];
    return hops.map((h) => ({ ...h, from: roleOf.get(h.from) ?? h.from, to: roleOf.get(h.to) ?? h.to }));
  }

  /** Every client online with policy "accept": the state each scenario starts from. */
  async baseline(users: readonly string[]): Promise<void> {
    this.domain = await this.#domain();
    for (const user of users) {
      const sut = this.sutClient(user);
      if (sut) {
        await sut.policy('accept');
        if ((await this.#registered(user)) !== true) await sut.online();
        continue;
      }
      await this.lab.node(this.user(user)).put('/policy', { policy: 'accept' });
      const state = await this.lab.node(this.user(user)).get<{ registration: { state: string } }>('/state');
      if (state.registration.state !== 'online') await this.online(user);
    }
  }

  /** The lab's domain: from its PF, or (a PF under test) from the lab's description. */
  async #domain(): Promise<string> {
    if (!this.sutPf) return (await this.pfState()).domain;
    const t = await this.lab.get<{ lab?: { domain?: string } }>('/topology');
    return t.lab?.domain ?? this.domain;
  }

  /** Whether `role`'s user has a binding at the lab's CSCF (undefined: the CSCF is not the lab's own). */
  async #registered(role: string): Promise<boolean | undefined> {
    const { nodes } = await this.lab.topology();
    if (!nodes.some((n) => n.role === 'cscf')) return undefined;
    const bindings = await this.lab
      .node('cscf')
      .get<unknown[]>(`/bindings/${encodeURIComponent(this.user(role))}`);
    return bindings.length > 0;
  }

  /** A fresh group on the PF and in the clients of `knownBy` (default: every participant). */
  async newGroup(
    label: string,
    participants: string[],
    knownBy: string[] = participants,
  ): Promise<ScenarioGroup> {
    const name = `${label}-${randomBytes(3).toString('hex')}`;
    const ids = provisionedGroupIds(this.domain, name);
    const uris = participants.map((u) => this.aor(u));
    const group: ScenarioGroup = { name, ...ids, subject: `Scenario ${label}`, participants };
    if (this.sutPf) await this.sutPf.createGroup(this.#sutGroup(group));
    else
      await this.lab.node('pf').post('/groups', {
        id: name,
        participants: uris,
        subject: group.subject,
        conversationId: ids.conversationId,
        contributionId: ids.contributionId,
      });
    for (const user of knownBy) {
      const sut = this.sutClient(user);
      if (sut) await sut.learnGroup(this.#sutGroup(group));
      else
        await this.lab
          .node(this.user(user))
          .post('/groups', { ...ids, subject: group.subject, participants: uris });
    }
    this.say(
      `group ${name}: ${participants.join(', ')}${knownBy.length < participants.length ? ` (unknown to ${participants.filter((p) => !knownBy.includes(p)).join(', ')})` : ''}`,
    );
    return group;
  }

  async online(user: string): Promise<void> {
    this.say(`${user} comes online (REGISTER)`);
    const sut = this.sutClient(user);
    if (sut) return sut.online();
    await this.lab.node(this.user(user)).post('/online');
  }

  async offline(user: string, mode: 'deregister' | 'drop'): Promise<void> {
    this.say(
      mode === 'drop'
        ? `${user} loses coverage (flow dropped, no de-registration)`
        : `${user} goes offline (REGISTER Expires: 0)`,
    );
    const sut = this.sutClient(user);
    if (sut) return sut.offline(mode);
    await this.lab.node(this.user(user)).post('/offline', { mode });
  }

  async send(user: string, group: ScenarioGroup, text: string): Promise<void> {
    this.say(`${user} types "${text}"`);
    const sut = this.sutClient(user);
    if (sut) return sut.send(this.#sutGroup(group), text);
    await this.lab
      .node(this.user(user))
      .post(`/groups/${encodeURIComponent(group.conferenceUri)}/messages`, { text });
  }

  async policy(user: string, policy: 'accept' | 'decline' | 'later', group?: ScenarioGroup): Promise<void> {
    this.say(`${user}'s policy${group ? ` for ${group.name}` : ''}: ${policy}`);
    const sut = this.sutClient(user);
    if (sut) return sut.policy(policy, group === undefined ? undefined : this.#sutGroup(group));
    await this.lab
      .node(this.user(user))
      .put('/policy', group ? { policy, group: group.conferenceUri } : { policy });
  }

  /** The PF adds `user` to the group (its control API): membership changes without the user's client. */
  async addMember(group: ScenarioGroup, user: string): Promise<void> {
    this.say(`${user} joins ${group.name} (the PF adds the participant)`);
    if (this.sutPf) return this.sutPf.addParticipant(this.#sutGroup(group), this.aor(user));
    await this.lab.node('pf').post(`/groups/${group.name}/participants`, { participants: [this.aor(user)] });
  }

  /** The PF removes `user` from the group (its control API), as a 603 would. */
  async removeMember(group: ScenarioGroup, user: string): Promise<void> {
    this.say(`${user} leaves ${group.name} (the PF removes the participant)`);
    if (this.sutPf) return this.sutPf.removeParticipant(this.#sutGroup(group), this.aor(user));
    await this.lab
      .node('pf')
      .delete(`/groups/${group.name}/participants/${encodeURIComponent(this.aor(user))}`);
  }

  async endSession(group: ScenarioGroup): Promise<void> {
    this.say(`the PF ends the group session of ${group.name} (BYE to everyone connected)`);
    if (this.sutPf) {
      // The PF under test: its session is over when no client of the lab in the group is still in it.
      await this.sutPf.endSession(this.#sutGroup(group));
      await waitUntil(`the session of ${group.name} to end at the lab's clients`, async () => {
        for (const user of group.participants) {
          if ((await this.clientGroup(user, group))?.sessionState === 'active') return false;
        }
        return true;
      });
      return;
    }
    await this.lab.node('pf').post(`/groups/${group.name}/end`);
    await waitUntil(
      `the session of ${group.name} to be inactive`,
      async () => (await this.pfGroup(group)).session === 'inactive',
    );
  }

  pfState(): Promise<PfStateView> {
    return this.lab.node('pf').get<PfStateView>('/state');
  }

  async pfGroup(group: ScenarioGroup): Promise<PfGroupView> {
    const found = (await this.pfState()).groups.find((g) => g.id === group.name);
    if (!found) throw new Error(`the PF has no group ${group.name}`);
    return found;
  }

  async pending(user: string, group: ScenarioGroup): Promise<number> {
    const state = await this.pfState();
    return (
      state.backlog.find((b) => b.recipient === this.aor(user) && b.groupId === group.name)?.pending ?? 0
    );
  }

  async deliveryStatus(user: string, group: ScenarioGroup): Promise<string | undefined> {
    const state = await this.pfState();
    return state.deliveries.find((d) => d.recipient === this.aor(user) && d.groupId === group.name)?.status;
  }

  async waitStored(user: string, group: ScenarioGroup, count: number, timeoutMs?: number): Promise<void> {
    await waitUntil(
      `${count} message(s) stored for ${user} in ${group.name}`,
      async () =>
        this.sutPf
          ? acceptedByPfFor(await this.#groupHops(group), user) >= count
          : (await this.pending(user, group)) >= count,
      { timeoutMs },
    );
    this.say(`the PF stores ${count} message(s) for ${user}`);
  }

  async waitConnected(group: ScenarioGroup, users: string[], timeoutMs?: number): Promise<void> {
    await waitUntil(
      `${users.join(', ')} connected to ${group.name}`,
      async () => {
        if (this.sutPf) {
          // The PF under test: every one of them (clients of the lab) is in the group's active session.
          for (const user of users) {
            if ((await this.clientGroup(user, group))?.sessionState !== 'active') return false;
          }
          return true;
        }
        const g = await this.pfGroup(group);
        return g.session === 'active' && users.every((u) => g.connected.includes(this.aor(u)));
      },
      { timeoutMs },
    );
  }

  async messagesOf(user: string, group: ScenarioGroup): Promise<ReceivedView[]> {
    if (this.sutClient(user))
      throw new Error(`the messages of the client under test (${user}) are not on the wire`);
    const all = await this.lab.node(this.user(user)).get<ReceivedView[]>('/messages');
    return all.filter((m) => m.groupKey === group.conversationId);
  }

  async waitReceived(
    user: string,
    group: ScenarioGroup,
    texts: string[],
    timeoutMs?: number,
  ): Promise<ReceivedView[]> {
    return waitUntil(
      `${user} to receive ${texts.map((t) => `"${t}"`).join(', ')}`,
      async () => {
        if (this.sutClient(user)) {
          // The client under test: the PF sent them on its session (the wire shows no more).
          const got = textsReceived(await this.#groupHops(group), user);
          return texts.every((t) => got.includes(t)) ? [] : undefined;
        }
        const got = await this.messagesOf(user, group);
        return texts.every((t) => got.some((m) => m.text === t)) ? got : undefined;
      },
      { timeoutMs },
    );
  }

  /** `user`'s client has each of `texts` as sent in `group` (the PF acknowledged it: RFC 4975 200). */
  async waitSent(user: string, group: ScenarioGroup, texts: string[], timeoutMs?: number): Promise<void> {
    await waitUntil(
      `${user}'s ${texts.map((t) => `"${t}"`).join(', ')} to be acknowledged`,
      async () => {
        if (this.sutClient(user)) {
          const sent = textsSentAndAcknowledged(await this.#groupHops(group), user);
          return texts.every((t) => sent.includes(t));
        }
        const sent = await this.lab
          .node(this.user(user))
          .get<Array<{ groupKey: string; text: string }>>('/sent');
        return texts.every((t) => sent.some((m) => m.groupKey === group.conversationId && m.text === t));
      },
      { timeoutMs },
    );
  }

  /** The delivery to `user` in `group` finished: nothing pending, nothing in flight. */
  async waitDelivered(user: string, group: ScenarioGroup, timeoutMs?: number): Promise<void> {
    await waitUntil(
      `the backlog of ${user} in ${group.name} to be delivered`,
      async () => {
        if (this.sutPf) return invitationFinished(await this.#groupHops(group), user);
        const state = await this.pfState();
        const pending =
          state.backlog.find((b) => b.recipient === this.aor(user) && b.groupId === group.name)?.pending ?? 0;
        const inFlight = state.inFlight.some(
          (f) => (f.recipient ?? f.user) === this.aor(user) && f.groupId === group.name,
        );
        return pending === 0 && !inFlight;
      },
      { timeoutMs },
    );
  }

  async clientGroup(user: string, group: ScenarioGroup): Promise<ClientGroupView | undefined> {
    if (this.sutClient(user))
      throw new Error(`the group view of the client under test (${user}) is not on the wire`);
    const groups = await this.lab.node(this.user(user)).get<ClientGroupView[]>('/groups');
    return groups.find((g) => g.key === group.conversationId || g.conferenceUri === group.conferenceUri);
  }

  /** Let the network settle for absence checks ("nothing else was sent"): a bounded observation window. */
  async observe(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/**
 * Waits of the file engine answered from the wire when the party whose state they would read is under test: the
 * PF's (removed, offline, delivery) or a client's (a notification it received).
 */
export const wireWaits = {
  /** The user refused with 603: a PF removes a member who declines (D1.v). */
  removed: (hops: readonly Hop[], user: string) => lastInvitation(hops, user).answer?.message.status === 603,
  offline: deregisteredAtPf,
  /** The delivery states the wire shows (the others are the PF's own bookkeeping). */
  deliveryStatuses: ['stopped-481', 'delivering'] as readonly string[],
  /** stopped-481: the user answered 481 (D1.iv); delivering: the user accepted an invitation. */
  delivery: (hops: readonly Hop[], user: string, status: string): boolean => {
    const answered = lastInvitation(hops, user).answer?.message.status;
    if (status === 'stopped-481') return answered === 481;
    return answered !== undefined && answered < 300;
  },
  notification: notificationTo,
};
