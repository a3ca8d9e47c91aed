// Scenarios for live demos. The console's own scripts run step by step on the topology's group (Next runs
// one step and waits for its effect, Auto runs the rest); the lab's named scenarios (lab/scenarios, on
// their own fresh groups, with checks) run whole on the lab API: POST /scenarios/:name/run.
import { get, node, post, put, waitFor } from './api.js';

/** Control actions that may be repeated safely after a network failure (api.js). */
const SAFE = { idempotent: true };

/** Everything a script needs to know about the lab (from /topology and /state). */
function cast(lab) {
  const group = lab.groups[0];
  const [a = 'alice', b = 'bob'] = group?.participants ?? [];
  return { group: group?.name ?? 'team', a, b, aor: (u) => `sip:${u}@${lab.domain}` };
}

async function pfState() {
  return node('pf').get('/state');
}

async function pending(user, groupId, aor) {
  const pf = await pfState();
  return pf.backlog.find((b) => b.recipient === aor(user) && b.groupId === groupId)?.pending ?? 0;
}

async function sessionOf(groupId) {
  return (await pfState()).groups.find((g) => g.id === groupId)?.session;
}

async function registration(user) {
  return (await node(user).get('/state')).registration.state;
}

async function received(user, text) {
  return (await node(user).get('/messages')).some((m) => m.text === text);
}

function stamp() {
  const d = new Date();
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

const goOffline = (user) => ({
  title: `${user} goes offline (de-REGISTER)`,
  run: async () => {
    await node(user).post('/offline', { mode: 'deregister' }, SAFE);
    await waitFor(`${user} offline`, async () => (await registration(user)) === 'offline');
  },
});

const comeOnline = (user, then) => ({
  title: `${user} comes online (REGISTER) — ${then}`,
  run: async (ctx) => {
    await node(user).post('/online', {}, SAFE);
    await waitFor(`${user} online`, async () => (await registration(user)) === 'online');
    if (ctx.expect) await waitFor(`${user} to receive "${ctx.expect}"`, () => received(user, ctx.expect));
  },
});

const sendWhileAway = (from, away, group, aor) => ({
  title: `${from} writes to ${group} — the PF stores it for ${away}`,
  run: async (ctx) => {
    ctx.expect = `Lunch at 12:30? (${stamp()})`;
    const before = await pending(away, group, aor);
    await node(from).post(`/groups/${encodeURIComponent(group)}/messages`, { text: ctx.expect });
    await waitFor(`the PF to store it for ${away}`, async () => (await pending(away, group, aor)) > before);
  },
});

const endSession = (group) => ({
  title: `the PF ends the session of ${group} (BYE) — the group session is inactive`,
  run: async () => {
    await node('pf').post(`/groups/${encodeURIComponent(group)}/end`, {}, SAFE);
    await waitFor(
      `the session of ${group} to be inactive`,
      async () => (await sessionOf(group)) === 'inactive',
    );
  },
});

const reply = (from, to, group) => ({
  title: `${from} replies — a new session: re-join (D1.viii)`,
  run: async () => {
    const text = `On my way! (${stamp()})`;
    await node(from).post(`/groups/${encodeURIComponent(group)}/messages`, { text });
    await waitFor(`${to} to receive the reply`, () => received(to, text));
  },
});

const setPolicy = (user, policy, group) => ({
  title: `${user}'s policy for ${group}: ${policy}`,
  run: async () => {
    await node(user).put('/policy', { policy, group });
  },
});

/** The console's step-by-step scripts over the topology's first group. */
export function scripts(lab) {
  const { group, a, b, aor } = cast(lab);
  return [
    {
      name: 'console:deferred',
      title: 'Deferred delivery (inactive session) + re-join',
      steps: [
        goOffline(a),
        sendWhileAway(b, a, group, aor),
        endSession(group),
        comeOnline(a, 'the PF invites with cpm.deferred, a=sendonly'),
        reply(a, b, group),
      ],
    },
    {
      name: 'console:active',
      title: 'Reconnect to the active session',
      steps: [
        goOffline(a),
        sendWhileAway(b, a, group, aor),
        comeOnline(a, 'the PF invites with cpm.session, a=sendrecv'),
      ],
    },
    {
      name: 'console:later',
      title: 'Not now: 480, delivered on the next return',
      steps: [
        setPolicy(a, 'later', group),
        goOffline(a),
        sendWhileAway(b, a, group, aor),
        endSession(group),
        {
          title: `${a} comes online and answers 480 — the PF keeps the message`,
          run: async (ctx) => {
            await node(a).post('/online', {}, SAFE);
            await waitFor(`${a}'s 480`, () =>
              ctx.hops().some((h) => h.from === a && h.label.startsWith('480')),
            );
          },
        },
        setPolicy(a, 'accept', group),
        goOffline(a),
        comeOnline(a, 'accepted this time'),
      ],
    },
  ];
}

/**
 * Runs one scenario at a time. `onStatus({text, state})`: state is idle | running | done | failed.
 */
export class Runner {
  #scenario;
  #next = 0;
  #ctx = {};
  #busy = false;
  #auto = false;

  constructor({ onStatus, hops }) {
    this.onStatus = onStatus;
    this.hops = hops;
  }

  get busy() {
    return this.#busy;
  }

  get auto() {
    return this.#auto;
  }

  select(scenario) {
    this.#scenario = scenario;
    this.#next = 0;
    this.#ctx = { hops: this.hops };
    this.#auto = false;
    this.onStatus({ state: 'idle', text: scenario ? this.#describeNext() : '' });
  }

  #describeNext() {
    const s = this.#scenario;
    if (s.remote) return `${s.title}: runs whole on the lab, with checks`;
    return `next ${this.#next + 1}/${s.steps.length}: ${s.steps[this.#next].title}`;
  }

  /** Run the next step (or a remote scenario whole). */
  async step() {
    const s = this.#scenario;
    if (!s || this.#busy) return;
    if (this.#next >= (s.remote ? 1 : s.steps.length)) this.select(s);
    this.#busy = true;
    try {
      if (s.remote) {
        this.onStatus({ state: 'running', text: `running ${s.name}…` });
        const result = await post(`/scenarios/${encodeURIComponent(s.name)}/run`);
        this.#next = 1;
        const failed = result.checks.filter((c) => !c.passed);
        if (result.notApplicable !== undefined) {
          this.onStatus({
            state: 'done',
            text: `– ${s.name}: not applicable (${result.notApplicable})`,
            result,
          });
          return;
        }
        const text = result.passed
          ? `✓ ${s.name}: ${result.checks.length} checks passed`
          : `✗ ${s.name}: ${result.error ?? failed.map((c) => `${c.clause ?? ''} ${c.description}`).join('; ')}`;
        this.onStatus({ state: result.passed ? 'done' : 'failed', text, result });
        return;
      }
      const step = s.steps[this.#next];
      this.onStatus({ state: 'running', text: `${this.#next + 1}/${s.steps.length}: ${step.title}…` });
      await step.run(this.#ctx);
      this.#next++;
      if (this.#next >= s.steps.length) {
        this.onStatus({
          state: 'done',
          text: `✓ ${s.title}: all ${s.steps.length} steps done (Next starts over)`,
        });
      } else {
        this.onStatus({ state: 'idle', text: `✓ ${step.title} — ${this.#describeNext()}` });
      }
    } catch (err) {
      this.#auto = false;
      this.onStatus({ state: 'failed', text: `✗ ${err.message}` });
    } finally {
      this.#busy = false;
    }
  }

  /** Run the remaining steps, pausing between them so that the audience can follow the ladder. */
  async runAuto(pauseMs = 1200) {
    const s = this.#scenario;
    if (!s || this.#busy) return;
    if (this.#next >= (s.remote ? 1 : s.steps.length)) this.select(s);
    this.#auto = true;
    const total = s.remote ? 1 : s.steps.length;
    while (this.#auto && this.#next < total) {
      await this.step();
      if (this.#auto && this.#next < total) await new Promise((r) => setTimeout(r, pauseMs));
    }
    this.#auto = false;
  }

  stop() {
    this.#auto = false;
  }
}

/** The lab's named scenarios, when the lab API offers them (GET /scenarios). */
export async function remoteScenarios() {
  try {
    const { scenarios } = await get('/scenarios');
    return scenarios.map((s) => ({ ...s, remote: true }));
  } catch {
    return [];
  }
}

/** Every client online, every invitation policy "accept", nobody unreachable at the CSCF. */
/**
 * "Reset lab": every client back online with policy accept, the CSCF's faults lifted, and every group that is
 * not one of the topology's deleted at the PF (scenario groups; BYE with Reason 410 to who is connected).
 * The console then starts its chats and ladder afresh (app.js).
 */
export async function resetLab(lab) {
  const state = (await get('/state')).nodes;
  const keep = new Set(lab.groups.map((g) => g.name));
  for (const g of state.pf?.groups ?? []) {
    if (!keep.has(g.id)) await node('pf').delete(`/groups/${encodeURIComponent(g.id)}`);
  }
  for (const n of lab.nodes.filter((x) => x.role === 'client')) {
    const s = state[n.name];
    if (!s || s.error) continue;
    for (const group of Object.keys(s.policy?.perGroup ?? {})) {
      await node(n.name).put('/policy', { policy: 'accept', group });
    }
    await put(`/nodes/${encodeURIComponent(n.name)}/policy`, { policy: 'accept' });
  }
  const cscf = state.cscf;
  for (const uri of cscf?.unreachable ?? []) {
    const user = /^sips?:([^@]+)@/.exec(uri)?.[1];
    if (user) await node('cscf').post(`/users/${encodeURIComponent(user)}/reachable`, {}, SAFE);
  }
  for (const n of lab.nodes.filter((x) => x.role === 'client')) {
    const s = state[n.name];
    if (s && !s.error && s.registration?.state !== 'online') await node(n.name).post('/online', {}, SAFE);
  }
}
