// The actions scenarios take through the lab API, and the conditions they wait for. Each scenario works
// on a group of its own (fresh IDs), so scenarios never disturb each other or the topology's groups.
import { randomBytes } from 'node:crypto';
import { provisionedGroupIds } from '../topology/index.js';
import type { Hop } from '../trace/index.js';
import { type LabClient, waitUntil } from './lab-client.js';

export interface ScenarioGroup {
  /** PF group id and the name in `sip:group-<name>@domain`. */
  name: string;
  conferenceUri: string;
  conversationId: string;
  contributionId: string;
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

/** `text` matched literally inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Steps {
  readonly lab: LabClient;
  readonly #step: (text: string) => void;
  /** Role (as the scenarios name them: alice, bob, carol) → the lab's user who plays it. */
  readonly #cast = new Map<string, string>();
  domain = 'ims.lab';

  constructor(lab: LabClient, step: (text: string) => void) {
    this.lab = lab;
    this.#step = step;
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
    const pf = await this.pfState();
    this.domain = pf.domain;
    for (const user of users) {
      await this.lab.node(this.user(user)).put('/policy', { policy: 'accept' });
      const state = await this.lab.node(this.user(user)).get<{ registration: { state: string } }>('/state');
      if (state.registration.state !== 'online') await this.online(user);
    }
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
    await this.lab.node('pf').post('/groups', {
      id: name,
      participants: uris,
      subject: `Scenario ${label}`,
      conversationId: ids.conversationId,
      contributionId: ids.contributionId,
    });
    for (const user of knownBy) {
      await this.lab
        .node(this.user(user))
        .post('/groups', { ...ids, subject: `Scenario ${label}`, participants: uris });
    }
    this.say(
      `group ${name}: ${participants.join(', ')}${knownBy.length < participants.length ? ` (unknown to ${participants.filter((p) => !knownBy.includes(p)).join(', ')})` : ''}`,
    );
    return { name, ...ids, participants };
  }

  async online(user: string): Promise<void> {
    this.say(`${user} comes online (REGISTER)`);
    await this.lab.node(this.user(user)).post('/online');
  }

  async offline(user: string, mode: 'deregister' | 'drop'): Promise<void> {
    this.say(
      mode === 'drop'
        ? `${user} loses coverage (flow dropped, no de-registration)`
        : `${user} goes offline (REGISTER Expires: 0)`,
    );
    await this.lab.node(this.user(user)).post('/offline', { mode });
  }

  async send(user: string, group: ScenarioGroup, text: string): Promise<void> {
    this.say(`${user} types "${text}"`);
    await this.lab
      .node(this.user(user))
      .post(`/groups/${encodeURIComponent(group.conferenceUri)}/messages`, { text });
  }

  async policy(user: string, policy: 'accept' | 'decline' | 'later', group?: ScenarioGroup): Promise<void> {
    this.say(`${user}'s policy${group ? ` for ${group.name}` : ''}: ${policy}`);
    await this.lab
      .node(this.user(user))
      .put('/policy', group ? { policy, group: group.conferenceUri } : { policy });
  }

  /** The PF adds `user` to the group (its control API): membership changes without the user's client. */
  async addMember(group: ScenarioGroup, user: string): Promise<void> {
    this.say(`${user} joins ${group.name} (the PF adds the participant)`);
    await this.lab.node('pf').post(`/groups/${group.name}/participants`, { participants: [this.aor(user)] });
  }

  /** The PF removes `user` from the group (its control API), as a 603 would. */
  async removeMember(group: ScenarioGroup, user: string): Promise<void> {
    this.say(`${user} leaves ${group.name} (the PF removes the participant)`);
    await this.lab
      .node('pf')
      .delete(`/groups/${group.name}/participants/${encodeURIComponent(this.aor(user))}`);
  }

  async endSession(group: ScenarioGroup): Promise<void> {
    this.say(`the PF ends the group session of ${group.name} (BYE to everyone connected)`);
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
      async () => (await this.pending(user, group)) >= count,
      { timeoutMs },
    );
    this.say(`the PF stores ${count} message(s) for ${user}`);
  }

  async waitConnected(group: ScenarioGroup, users: string[], timeoutMs?: number): Promise<void> {
    await waitUntil(
      `${users.join(', ')} connected to ${group.name}`,
      async () => {
        const g = await this.pfGroup(group);
        return g.session === 'active' && users.every((u) => g.connected.includes(this.aor(u)));
      },
      { timeoutMs },
    );
  }

  async messagesOf(user: string, group: ScenarioGroup): Promise<ReceivedView[]> {
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
    const groups = await this.lab.node(this.user(user)).get<ClientGroupView[]>('/groups');
    return groups.find((g) => g.key === group.conversationId || g.conferenceUri === group.conferenceUri);
  }

  /** Let the network settle for absence checks ("nothing else was sent"): a bounded observation window. */
  async observe(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}
