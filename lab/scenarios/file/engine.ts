// The generic engine behind scenario files: a loaded file becomes a Scenario like the built-in ones. The steps
// drive the lab through Steps (the same actions `cpm-lab run` takes); the checks are the named check kinds
// (request, response, msrp, state: docs/scenarios.md), judged on the merged trace of the run's own messages,
// each pointing at the hops that prove it.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseGroupState } from '../../../protocol/bodies/index.js';
import type { ClauseId } from '../../../protocol/cpm/index.js';
import type { SipMessage, SipRequest } from '../../../protocol/sip/index.js';
import { Undrivable } from '../../sut/index.js';
import type { Hop } from '../../trace/index.js';
import type { Checks } from '../checks.js';
import { waitUntil } from '../lab-client.js';
import { cpimMessageId, invitationTo, scenario } from '../scenario.js';
import { escapeRegExp, wireWaits, type ScenarioGroup, type Steps } from '../steps.js';
import type { Scenario } from '../types.js';
import {
  acceptContactFlags,
  brief,
  cpmServiceOf,
  groupHops,
  lastTransaction,
  msrpBindings,
  msrpHops,
  msrpSends,
  requestHops,
  responsesTo,
  type SipHop,
  sdpDirection,
} from '../wire.js';
import {
  type CheckSpec,
  type CountSpec,
  type GroupStateCheck,
  type MatchSpec,
  type MsrpCheck,
  type RequestCheck,
  type ResponseCheck,
  rolesOf,
  type StateCheck,
  type StepSpec,
  type WaitSpec,
} from './format.js';
import type { LoadedScenarioFile } from './load.js';

/** The Scenario a loaded file describes. */
export function fileScenario(loaded: LoadedScenarioFile): Scenario {
  const { spec } = loaded;
  const clauses: ClauseId[] = spec.clauses ?? [
    ...new Set(spec.checks.map((c) => c.clause).filter((c): c is ClauseId => c !== undefined)),
  ];
  const roles = rolesOf(spec);
  return scenario(
    spec.name,
    spec.title,
    clauses,
    spec.description ?? spec.title,
    async (s, c, readHops) => {
      const run = new FileRun(s, loaded, c, readHops);
      for (const g of spec.groups ?? []) {
        run.groups.set(g.name, await s.newGroup(g.name, g.members, g['known-by'] ?? g.members));
      }
      // Against an implementation under test a step that failed (a wait that timed out) is judged too: its
      // checks show on the wire what the SUT did instead. A step that could not be driven stops everything.
      let failure: unknown;
      try {
        await run.steps(spec.steps);
      } catch (err) {
        if (s.sut === undefined || err instanceof Undrivable) throw err;
        failure = err;
      }
      const hops = await readHops();
      for (const check of spec.checks) await run.check(check, hops);
      if (failure !== undefined) throw failure;
    },
    spec.requires ?? [],
    roles.names,
    roles.created,
  );
}

/** Where a check found its message: the hop, and the SIP message when it is one. */
interface Found {
  index: number;
  hop: Hop;
  message?: SipMessage;
}

class FileRun {
  readonly groups = new Map<string, ScenarioGroup>();
  readonly #ids = new Map<string, Found>();
  /** The trace the current check reads. */
  #hops: Hop[] = [];
  readonly #s: Steps;
  readonly #loaded: LoadedScenarioFile;
  readonly #c: Checks;
  readonly #readHops: () => Promise<Hop[]>;

  constructor(s: Steps, loaded: LoadedScenarioFile, c: Checks, readHops: () => Promise<Hop[]>) {
    this.#s = s;
    this.#loaded = loaded;
    this.#c = c;
    this.#readHops = readHops;
  }

  #group(name: string): ScenarioGroup {
    const group = this.groups.get(name);
    if (!group) throw new Error(`no group ${name}`); // the loader checked every reference
    return group;
  }

  // ---- steps ----

  async steps(list: readonly StepSpec[]): Promise<void> {
    for (const step of list) await this.#step(step);
  }

  async #step(step: StepSpec): Promise<void> {
    const s = this.#s;
    if ('online' in step) return s.online(step.online);
    if ('offline' in step) {
      const arg = typeof step.offline === 'string' ? { user: step.offline } : step.offline;
      return s.offline(arg.user, arg.mode ?? 'deregister');
    }
    if ('send' in step) {
      const { user, group, text, texts, file } = step.send;
      const list = text !== undefined ? [text] : (texts ?? (await this.#fileTexts(file!)));
      for (const t of list) await s.send(user, this.#group(group), t);
      return;
    }
    if ('policy' in step) {
      const { user, policy, group } = step.policy;
      return s.policy(user, policy, group === undefined ? undefined : this.#group(group));
    }
    if ('end-session' in step) return s.endSession(this.#group(step['end-session']));
    if ('add-member' in step)
      return s.addMember(this.#group(step['add-member'].group), step['add-member'].user);
    if ('remove-member' in step)
      return s.removeMember(this.#group(step['remove-member'].group), step['remove-member'].user);
    if ('wait' in step) return this.#wait(step.wait);
    if ('observe' in step) {
      s.say(`observing for ${step.observe} s`);
      return s.observe(step.observe * 1000);
    }
    if ('network-deregister' in step) {
      const user = step['network-deregister'];
      s.say(`the network de-registers ${user} (the CSCF's control API)`);
      await s.lab.node('cscf').post(`/users/${encodeURIComponent(s.user(user))}/deregister`);
      return;
    }
    if ('check' in step) return this.check(step.check, await this.#readHops());
    await Promise.all(step.parallel.map((inner) => this.#step(inner)));
  }

  /** Each non-empty line of a text file (relative to the scenario file) is one message. */
  async #fileTexts(file: string): Promise<string[]> {
    const text = await readFile(resolve(dirname(resolve(this.#loaded.file)), file), 'utf8');
    return text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  }

  async #wait(wait: WaitSpec): Promise<void> {
    const s = this.#s;
    const timeoutMs = (wait.timeout ?? 15) * 1000;
    const group = wait.group === undefined ? undefined : this.#group(wait.group);
    const user = wait.user ?? '';
    const until = async (what: string, probe: () => Promise<boolean>) => {
      await waitUntil(what, async () => (await probe()) || undefined, { timeoutMs });
      s.say(`… ${what}`);
    };
    switch (wait.for) {
      case 'stored':
        return s.waitStored(user, group!, wait.count!, timeoutMs);
      case 'received':
        await s.waitReceived(user, group!, wait.texts!, timeoutMs);
        return;
      case 'sent':
        return s.waitSent(user, group!, wait.texts!, timeoutMs);
      case 'delivered':
        return s.waitDelivered(user, group!, timeoutMs);
      case 'connected':
        return s.waitConnected(group!, wait.users!, timeoutMs);
      case 'removed':
        return until(`${user} to be removed from ${group!.name}`, async () => {
          if (s.sutPf) return wireWaits.removed(await this.#groupHopsOf(group!), user);
          const g = await s.pfGroup(group!);
          return g.participants.find((p) => p.uri === s.aor(user))?.status !== 'member';
        });
      case 'offline':
        return until(`the PF to see ${user} offline`, async () =>
          s.sutPf
            ? wireWaits.offline(await this.#readHops(), user)
            : !(await s.pfState()).online.includes(s.aor(user)),
        );
      case 'delivery':
        if (s.sutPf && !wireWaits.deliveryStatuses.includes(wait.status!))
          throw new Undrivable(
            `the PF under test's delivery state "${wait.status}" does not show on the wire`,
          );
        return until(`the PF's delivery to ${user} in ${group!.name} to be ${wait.status}`, async () => {
          if (s.sutPf) return wireWaits.delivery(await this.#groupHopsOf(group!), user, wait.status!);
          return (await s.deliveryStatus(user, group!)) === wait.status;
        });
      case 'notification':
        return until(`${user}'s delivery notification from ${wait.from}`, async () =>
          s.sutClient(user)
            ? wireWaits.notification(await this.#groupHopsOf(group!), user, wait.from!)
            : (await this.#notifications(user, group!)).some((n) => n.from === s.aor(wait.from!)),
        );
      case 'answered':
        return until(`${user}'s answer to the PF's invitation in ${group!.name}`, async () => {
          const { answer } = invitationTo(groupHops(await this.#readHops(), group!), user, group!);
          return answer !== undefined;
        });
    }
  }

  async #groupHopsOf(group: ScenarioGroup): Promise<Hop[]> {
    return groupHops(await this.#readHops(), group);
  }

  async #notifications(user: string, group: ScenarioGroup) {
    const all = await this.#s.lab
      .node(this.#s.user(user))
      .get<Array<{ groupKey: string; from: string; notification: unknown }>>('/notifications');
    return all.filter((n) => n.groupKey === group.conversationId);
  }

  // ---- checks ----

  /** A message named by a check's `id`, else by the file's `messages` (found in `hops`). */
  #ref(name: string, hops: Hop[]): Found | undefined {
    const known = this.#ids.get(name);
    if (known) return known;
    const spec = this.#loaded.spec.messages?.[name];
    if (!spec) return undefined;
    const requests = this.#matches(hops, spec.match);
    const request = spec.pick === 'last' ? lastTransaction(requests) : requests[0];
    if (!request || !spec.response) return request;
    return responsesTo(
      this.#scope(hops, spec.match.group),
      request.message,
      spec.response.from ?? request.hop.to,
    )[0];
  }

  async check(check: CheckSpec, all: Hop[]): Promise<void> {
    this.#hops = all;
    const c = this.#c;
    switch (check.kind) {
      case 'request':
        return this.#request(check, all, c);
      case 'response':
        return this.#response(check, all, c);
      case 'msrp':
        return this.#msrp(check, all, c);
      case 'state':
        return this.#state(check, c);
      case 'group-state':
        return this.#groupState(check, all, c);
    }
  }

  async #groupState(check: GroupStateCheck, all: Hop[], c: Checks): Promise<void> {
    const s = this.#s;
    const group = this.#group(check.group);
    const gso = msrpSends(groupHops(all, group), { from: 'pf', to: check.to }).find((x) =>
      x.contentType.startsWith('application/group-state-object+xml'),
    );
    let state: ReturnType<typeof parseGroupState> | undefined;
    try {
      state = gso?.frame.body ? parseGroupState(gso.frame.body) : undefined;
    } catch {
      state = undefined;
    }
    const listed = state?.participants.map((p) => p.commAddr).sort() ?? [];
    const problems: string[] = [];
    if (!state) problems.push(gso ? 'unreadable group state object' : 'no group state object');
    if (state && check.lists !== undefined) {
      const wanted = check.lists.map((r) => s.aor(r)).sort();
      if (listed.join(' ') !== wanted.join(' ')) problems.push(`it lists ${listed.join(', ') || 'nobody'}`);
    }
    let observed = listed.join(', ');
    if (
      (check['client-follows'] || check['rejoin-target']) &&
      s.sutClient(check.to) &&
      problems.length === 0
    ) {
      // The client under test: its participant list and re-join target are its own state. The wire shows only
      // whether it took the object: its MSRP 200 (a refusal is a failure of the clause).
      const answer = gso
        ? msrpHops(this.#scope(all, check.group)).find(
            (h) =>
              h.frame.kind === 'response' &&
              h.hop.from === check.to &&
              h.frame.transactionId === gso.frame.transactionId,
          )
        : undefined;
      const status = answer?.frame.kind === 'response' ? answer.frame.status : undefined;
      if (status !== undefined && status !== 200) {
        c.add(
          check.clause,
          check.description,
          false,
          `the client answered the group state object with MSRP ${status}`,
          [gso?.hop, answer?.hop],
        );
        return;
      }
      c.skip(
        check.clause,
        check.description,
        'not-applicable',
        `the client's own ${check['client-follows'] ? 'participant list' : 're-join target'} is not on the wire${status === 200 ? ' (it acknowledged the object: MSRP 200)' : ''}`,
        [gso?.hop, answer?.hop],
      );
      return;
    }
    if (state && (check['client-follows'] || check['rejoin-target'])) {
      const view = await s.clientGroup(check.to, group);
      const known = view?.participants.map((p) => p.uri).sort() ?? [];
      if (check['client-follows']) {
        observed = known.join(', ') || 'group unknown';
        if (known.join(' ') !== listed.join(' '))
          problems.push(`the client lists ${observed}; the object ${listed.join(', ')}`);
      }
      if (check['rejoin-target']) {
        observed = `${view?.conferenceUri ?? '-'} / ${state.lastFocusSessionId}`;
        if (view?.conferenceUri !== state.lastFocusSessionId) problems.push(observed);
      }
    }
    c.add(check.clause, check.description, problems.length === 0, problems.join('; ') || observed, [
      gso?.hop,
    ]);
  }

  /** A regular expression of the file, `{alice}` standing for the user who plays that role. */
  #pattern(source: string): RegExp {
    const s = this.#s;
    return new RegExp(
      source.replace(
        /\{([a-z][a-z0-9_-]*)(?:\.(conversation-id|contribution-id|conference-uri))?\}/g,
        (whole, name: string, field?: string) => {
          if (field === undefined)
            return rolesOf(this.#loaded.spec).names.includes(name) ? escapeRegExp(s.user(name)) : whole;
          const group = this.groups.get(name);
          if (!group) return whole;
          return escapeRegExp(
            field === 'conversation-id'
              ? group.conversationId
              : field === 'contribution-id'
                ? group.contributionId
                : group.conferenceUri,
          );
        },
      ),
      'i',
    );
  }

  #uriIs(uri: string, target: string, group: ScenarioGroup | undefined): boolean {
    if (target === 'conference') return group !== undefined && uri.startsWith(group.conferenceUri);
    if (target === 'factory') return /^sips?:conference-factory@/i.test(uri);
    return this.#s.userPattern(target).test(uri);
  }

  #scope(all: Hop[], group: string | undefined): Hop[] {
    return group === undefined ? all : groupHops(all, this.#group(group));
  }

  #matches(all: Hop[], match: MatchSpec): Array<SipHop & { message: SipRequest }> {
    const group = match.group === undefined ? undefined : this.#group(match.group);
    const dialog =
      match['same-dialog-as'] === undefined ? undefined : this.#ref(match['same-dialog-as'], all);
    if (match['same-dialog-as'] !== undefined && dialog === undefined) return [];
    const after = match.after === undefined ? undefined : this.#ref(match.after, all);
    if (match.after !== undefined && after === undefined) return [];
    return requestHops(this.#scope(all, match.group), {
      method: match.method,
      ...(match.from === undefined ? {} : { from: match.from }),
      ...(match.to === undefined ? {} : { to: match.to }),
    }).filter((h) => {
      if (match.uri !== undefined && !this.#uriIs(h.message.uri, match.uri, group)) return false;
      for (const [name, pattern] of Object.entries(match.headers ?? {})) {
        if (!this.#pattern(pattern).test(h.message.getAll(name).join(', '))) return false;
      }
      if (match.body !== undefined && !this.#pattern(match.body).test(h.message.body.toString('utf8')))
        return false;
      if (after !== undefined && h.index <= after.index) return false;
      if (match.initial === true && h.message.toTag !== undefined) return false;
      if (match.initial === false && h.message.toTag === undefined) return false;
      if (dialog !== undefined && h.message.callId !== dialog.message?.callId) return false;
      return true;
    });
  }

  /** Why nothing matched: `no <match>`, naming a message it must follow or share a dialog with that is missing. */
  #noMatch(match: MatchSpec, all: Hop[]): string {
    const missing = (['after', 'same-dialog-as'] as const)
      .map((field) => ({ field, name: match[field] }))
      .filter((r): r is { field: 'after' | 'same-dialog-as'; name: string } => r.name !== undefined)
      .filter((r) => this.#ref(r.name, all) === undefined)
      .map((r) => `"${r.name}" (${r.field}) is not in the trace`);
    return [`no ${describeMatch(match)}`, ...missing].join('; ');
  }

  /** `after` / `before` of a check, against the ids of earlier checks: a failure reason, or undefined. */
  #order(check: { after?: string; before?: string }, found: Found): { problem?: string; evidence: Hop[] } {
    const evidence: Hop[] = [];
    for (const [field, ref] of [
      ['after', check.after],
      ['before', check.before],
    ] as const) {
      if (ref === undefined) continue;
      const other = this.#ref(ref, this.#hops);
      if (!other) return { problem: `"${ref}" (${field}) was not found`, evidence };
      evidence.push(other.hop);
      const ok = field === 'after' ? found.index > other.index : found.index < other.index;
      if (!ok) return { problem: `#${found.index} is not ${field} "${ref}" #${other.index}`, evidence };
    }
    return { evidence };
  }

  #request(check: RequestCheck, all: Hop[], c: Checks): void {
    const matches = this.#matches(all, check.match);
    const add = (passed: boolean, detail: string | undefined, evidence: Array<Hop | undefined>) =>
      c.add(check.clause, check.description, passed, detail, evidence);
    const listed = matches.map((m) => brief(m.hop)).join('; ') || undefined;
    if (check.absent) {
      add(
        matches.length === 0,
        listed,
        matches.map((m) => m.hop),
      );
      return;
    }
    const problems: string[] = [];
    if (check.count !== undefined && !countHolds(matches.length, check.count))
      problems.push(`${matches.length} found, expected ${describeCount(check.count)}`);
    const first = matches[0];
    if (!first) {
      if (check.count === undefined || countHolds(0, check.count) === false)
        add(false, check.count === undefined ? this.#noMatch(check.match, all) : problems.join('; '), []);
      else add(true, '0 found', []);
      return;
    }
    if (check.id !== undefined) this.#ids.set(check.id, first);
    const group = check.match.group === undefined ? undefined : this.#group(check.match.group);
    const judged = check.each ? matches : [first];
    for (const m of judged) {
      const own = messageProblems(m.message, check, (p) => this.#pattern(p));
      if (check['request-uri'] !== undefined && !this.#uriIs(m.message.uri, check['request-uri'], group))
        own.push(`Request-URI ${m.message.uri}, expected ${check['request-uri']}`);
      const order = this.#order(check, m);
      if (order.problem) own.push(order.problem);
      if (own.length) problems.push(`${brief(m.hop)}: ${own.join('; ')}`);
    }
    const order = this.#order(check, first);
    add(
      problems.length === 0,
      problems.join('; ') ||
        (check.count !== undefined || check.each ? `${matches.length} found: ${listed}` : brief(first.hop)),
      [...order.evidence, ...(check.count !== undefined || check.each ? matches : [first]).map((m) => m.hop)],
    );
  }

  #response(check: ResponseCheck, all: Hop[], c: Checks): void {
    const request = this.#matches(all, check.match)[0];
    if (!request) {
      c.add(check.clause, check.description, false, this.#noMatch(check.match, all), []);
      return;
    }
    const answer = responsesTo(
      this.#scope(all, check.match.group),
      request.message,
      check.from ?? request.hop.to,
    )[0];
    if (!answer) {
      c.add(check.clause, check.description, false, `no final response to ${brief(request.hop)}`, [
        request.hop,
      ]);
      return;
    }
    if (check.id !== undefined) this.#ids.set(check.id, answer);
    const problems = messageProblems(answer.message, check, (p) => this.#pattern(p));
    if (check.service !== undefined && cpmServiceOf(request.message) !== check.service)
      problems.push(
        `the request's service ${cpmServiceOf(request.message) ?? 'none'}, expected ${check.service}`,
      );
    if (check['offer-sdp'] !== undefined && sdpDirection(request.message) !== check['offer-sdp'])
      problems.push(
        `the offer's SDP direction ${sdpDirection(request.message) ?? 'none'}, expected ${check['offer-sdp']}`,
      );
    if (check.status !== undefined && answer.message.status !== check.status)
      problems.push(`status ${answer.message.status}, expected ${check.status}`);
    const order = this.#order(check, answer);
    if (order.problem) problems.push(order.problem);
    c.add(
      check.clause,
      check.description,
      problems.length === 0,
      `${brief(answer.hop)}${problems.length ? `: ${problems.join('; ')}` : ''}`,
      [request.hop, ...order.evidence, answer.hop],
    );
  }

  #msrp(check: MsrpCheck, hops: Hop[], c: Checks): void {
    const scope = this.#scope(hops, check.group);
    const direction = {
      ...(check.from === undefined ? {} : { from: check.from }),
      ...(check.to === undefined ? {} : { to: check.to }),
    };
    const imdnOf =
      check['same-imdn-id-as'] === undefined ? undefined : this.#ref(check['same-imdn-id-as'], hops);
    const wantedId = imdnOf?.message ? cpimMessageId(imdnOf.message.body) : undefined;
    const type = check['with-content-type']?.toLowerCase();
    const sends: Found[] = check.bindings
      ? msrpBindings(scope, check.from).filter((x) => check.to === undefined || x.hop.to === check.to)
      : msrpSends(scope, direction).filter(
          (x) =>
            (check.text === undefined || x.inner?.text === check.text) &&
            (type === undefined ||
              x.contentType.includes(type) ||
              (x.inner?.contentType.includes(type) ?? false)) &&
            (check['same-imdn-id-as'] === undefined ||
              (wantedId !== undefined &&
                x.frame.body !== undefined &&
                cpimMessageId(x.frame.body) === wantedId)),
        );
    const evidence: Hop[] = sends.map((x) => x.hop);
    const listed = sends.map((x) => brief(x.hop)).join('; ');
    if (check.absent) {
      c.add(check.clause, check.description, sends.length === 0, listed || undefined, evidence);
      return;
    }
    const problems: string[] = [];
    if (check.count !== undefined && !countHolds(sends.length, check.count))
      problems.push(`${sends.length} SEND(s), expected ${describeCount(check.count)}`);
    const all = check.bindings ? [] : msrpSends(scope, direction);
    const first = all[0];
    if (
      check['first-content-type'] !== undefined &&
      !first?.contentType.startsWith(check['first-content-type'].toLowerCase())
    )
      problems.push(`the first SEND is ${first ? first.contentType : 'missing'}`);
    if (check.texts !== undefined) {
      const texts = all
        .filter((x) => x.inner?.contentType.startsWith('text/plain'))
        .map((x) => x.inner!.text);
      if (texts.join('\u0000') !== check.texts.join('\u0000'))
        problems.push(`texts: ${texts.map((t) => `"${t}"`).join(', ') || 'none'}`);
      evidence.push(...all.map((x) => x.hop).filter((h) => !evidence.includes(h)));
    }
    if (check['no-content-type'] !== undefined) {
      const bad = check['no-content-type'].toLowerCase();
      const found = all.filter((x) => x.contentType.includes(bad) || x.inner?.contentType.includes(bad));
      if (found.length)
        problems.push(`${found.length} SEND(s) of ${bad}: ${found.map((x) => brief(x.hop)).join('; ')}`);
    }
    if (sends[0] && check.id !== undefined) this.#ids.set(check.id, sends[0]);
    if (check.after !== undefined || check.before !== undefined) {
      if (sends.length === 0) problems.push('no SEND');
      for (const x of sends) {
        const order = this.#order(check, x);
        if (order.problem) problems.push(order.problem);
        for (const h of order.evidence) if (!evidence.includes(h)) evidence.unshift(h);
      }
    }
    if (
      check.count === undefined &&
      check.texts === undefined &&
      check['first-content-type'] === undefined &&
      check['no-content-type'] === undefined &&
      sends.length === 0
    )
      problems.push('no such SEND');
    c.add(
      check.clause,
      check.description,
      problems.length === 0,
      problems.join('; ') || listed || `${sends.length} SEND(s)`,
      evidence,
    );
  }

  async #state(check: StateCheck, c: Checks): Promise<void> {
    const s = this.#s;
    const group = this.#group(check.group);
    // An implementation under test is judged from the wire: its own state is not read (other checks of the
    // same clause judge what it did on the wire).
    const ofPf = check.of.startsWith('pf-');
    if (ofPf ? s.sutPf : s.sutClient(check.user)) {
      c.skip(
        check.clause,
        check.description,
        'not-applicable',
        `reads the state of the ${ofPf ? 'PF' : 'client'} under test (${check.of}), which is not on the wire`,
      );
      return;
    }
    const problems: string[] = [];
    let observed = '';
    switch (check.of) {
      case 'pf-member': {
        const p = (await s.pfGroup(group)).participants.find((x) => x.uri === s.aor(check.user));
        const member = p?.status === 'member';
        observed = p ? `status ${p.status}` : 'not a participant';
        if (check.member !== undefined && member !== check.member) problems.push(observed);
        break;
      }
      case 'pf-pending': {
        const pending = await s.pending(check.user, group);
        observed = `${pending} pending`;
        if (check.pending !== undefined && pending !== check.pending) problems.push(observed);
        break;
      }
      case 'pf-delivery': {
        const status = await s.deliveryStatus(check.user, group);
        observed = `delivery ${status ?? 'none'}`;
        if (check.delivery !== undefined && status !== check.delivery) problems.push(observed);
        break;
      }
      case 'client-group': {
        const view = await s.clientGroup(check.user, group);
        observed = view
          ? `left=${view.left}; ${view.participants.map((p) => p.uri).join(', ')}`
          : 'group unknown';
        if (check.left !== undefined && view?.left !== check.left) problems.push(observed);
        const missing = (check.participants ?? []).filter(
          (r) => !view?.participants.some((p) => p.uri === s.aor(r)),
        );
        if (missing.length) problems.push(`${missing.join(', ')} not in the list (${observed})`);
        break;
      }
      case 'notification': {
        const got = await this.#notifications(check.user, group);
        const found = got.find((n) => n.from === s.aor(check.from ?? ''));
        observed = found ? JSON.stringify(found.notification) : `none from ${check.from}`;
        if (!found) problems.push(observed);
        break;
      }
      case 'received': {
        const got = await s.messagesOf(check.user, group);
        observed = got.map((g) => `${g.text}:${g.arrivedOn}`).join(', ') || 'nothing';
        const missing = (check.texts ?? []).filter((t) => !got.some((g) => g.text === t));
        if (missing.length) problems.push(`missing ${quoted(missing)} (${observed})`);
        const wanted = check['arrived-on'];
        const relevant = check.texts ? got.filter((g) => check.texts!.includes(g.text ?? '')) : got;
        if (wanted !== undefined && !relevant.every((g) => g.arrivedOn === wanted)) problems.push(observed);
        break;
      }
    }
    c.add(check.clause, check.description, problems.length === 0, problems.join('; ') || observed);
  }
}

/** What the assertions of a request or response check find wrong with `message`. */
function messageProblems(
  message: SipMessage | undefined,
  check: RequestCheck | ResponseCheck,
  pattern: (source: string) => RegExp,
): string[] {
  if (!message) return ['no message'];
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(check.headers ?? {})) {
    const value = message.getAll(name).join(', ');
    if (expected === null) {
      if (message.getAll(name).length > 0) problems.push(`${name}: ${value} (expected none)`);
    } else if (!pattern(expected).test(value))
      problems.push(`${name}: ${value || '(none)'} does not match /${pattern(expected).source}/`);
  }
  if (check.sdp !== undefined && sdpDirection(message) !== check.sdp)
    problems.push(`SDP direction ${sdpDirection(message) ?? 'none'}, expected ${check.sdp}`);
  if (check.kind === 'request') {
    if (check.service !== undefined && cpmServiceOf(message) !== check.service)
      problems.push(`service ${cpmServiceOf(message) ?? 'none'}, expected ${check.service}`);
    const flags = acceptContactFlags(message);
    for (const flag of check['accept-contact'] ?? [])
      if (!flags[flag]) problems.push(`Accept-Contact without ${flag}`);
    if (
      check['content-type'] !== undefined &&
      !(message.mediaType ?? '').startsWith(check['content-type'].toLowerCase())
    )
      problems.push(`body ${message.mediaType ?? 'none'}, expected ${check['content-type']}`);
  }
  return problems;
}

function countHolds(n: number, count: CountSpec): boolean {
  if (typeof count === 'number') return n === count;
  return (count.min === undefined || n >= count.min) && (count.max === undefined || n <= count.max);
}

function describeCount(count: CountSpec): string {
  if (typeof count === 'number') return String(count);
  if (count.min !== undefined && count.max !== undefined) return `${count.min} to ${count.max}`;
  return count.min !== undefined ? `at least ${count.min}` : `at most ${count.max}`;
}

function describeMatch(match: MatchSpec): string {
  return [
    match.method,
    match.from ? `from ${match.from}` : '',
    match.to ? `to ${match.to}` : '',
    match.uri ? `to the ${match.uri} URI` : '',
    match.group ? `in ${match.group}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function quoted(texts: readonly string[]): string {
  return texts.map((t) => `"${t}"`).join(', ');
}
