// The console's server side against a real embedded lab: the page and assets, GET /live (merged hops,
// incremental, with node events and clause lights), the clause heuristics on real flows, and the named
// scenarios on the lab API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveHop } from '../api/live-events.js';
import { type EmbeddedLab, type PrivateLab, startPrivateLab } from '../embedded/index.js';
import { LabClient, waitUntil } from '../scenarios/lab-client.js';
import { readSse } from '../../runtime/index.js';
import { type CLAUSES, type ClauseLight, evaluateClauses } from './clauses.js';
import { CLAUSE_IDS } from '../scenarios/types.js';

let privateLab: PrivateLab | undefined;
let lab: EmbeddedLab;
let client: LabClient;
const roles = { cscf: 'cscf', pf: 'pf', alice: 'client', bob: 'client', carol: 'client' } as const;

beforeAll(async () => {
  privateLab = await startPrivateLab({ t1: 50, level: 'error', label: 'console' });
  lab = privateLab.lab;
  client = new LabClient(lab.url);
}, 30_000);

afterAll(async () => {
  await privateLab?.close();
});

/** Follows GET /live and keeps the timeline as a browser would. */
class LiveView {
  hops: LiveHop[] = [];
  nodeEvents: Array<{ node: string; type: string }> = [];
  clauses: ClauseLight[] = [];
  updates = 0;
  readonly #abort = new AbortController();

  async open(url: string): Promise<void> {
    const response = await fetch(`${url}/live`, { signal: this.#abort.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    void (async () => {
      try {
        for await (const item of readSse(response.body!)) {
          if (item.kind !== 'event') continue;
          const data = JSON.parse(item.data);
          if (item.event === 'hops') {
            this.hops = this.hops.slice(0, data.from).concat(data.hops);
            expect(this.hops).toHaveLength(data.total);
            this.updates++;
          } else if (item.event === 'node') this.nodeEvents.push(data);
          else if (item.event === 'summary') this.clauses = data.clauses;
        }
      } catch (err) {
        if (!this.#abort.signal.aborted) throw err;
      }
    })();
  }

  lit(id: string): boolean {
    return this.clauses.find((c) => c.id === id)?.lit ?? false;
  }

  close(): void {
    this.#abort.abort();
  }
}

describe('console routes', () => {
  it('serves the page and its assets from lab/console/static, with a same-origin CSP', async () => {
    const page = await fetch(`${lab.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('/console/app.js');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['app.js', 'ladder.js', 'runner.js', 'api.js', 'console.css']) {
      const r = await fetch(`${lab.url}/console/${asset}`);
      expect(r.status, asset).toBe(200);
      expect(await r.text(), asset).not.toMatch(/(?:src|href|import[^'"]*)\s*=?\s*['"]https?:/);
    }
    expect((await fetch(`${lab.url}/console/nope.js`)).status).toBe(404);
  });

  it('lists the clauses of docs/clauses.md with their heuristics', async () => {
    const { clauses } = (await client.get('/console/clauses')) as { clauses: typeof CLAUSES };
    expect(clauses.map((c) => c.id)).toEqual([...CLAUSE_IDS]);
    for (const c of clauses) expect(c.heuristic.length, c.id).toBeGreaterThan(20);
  });

  it('PF, D1.a, D1.i, D1.ii, D1.iii, D1.v, D1.vi, D1.vii, D1.viii, R3: /live follows a deferred delivery and lights its clauses', async () => {
    const live = new LiveView();
    await live.open(lab.url);
    try {
      // The registrations of the start are replayed first.
      await waitUntil('the replayed REGISTERs', async () => live.hops.some((h) => h.label === 'REGISTER'));
      expect(live.clauses.filter((c) => c.lit)).toEqual([]);
      const alice = client.node('alice');
      const bob = client.node('bob');
      await alice.post('/offline', { mode: 'deregister' });
      await bob.post('/groups/team/messages', { text: 'see you at 1' });
      await waitUntil('bob to be connected', async () =>
        live.hops.some((h) => h.label === 'MSRP SEND' && h.from === 'bob' && h.description.includes('cpim')),
      );
      await client.node('pf').post('/groups/team/end');
      await alice.post('/online');
      await waitUntil('alice to get it', async () =>
        ((await alice.get('/messages')) as Array<{ text: string }>).some((m) => m.text === 'see you at 1'),
      );
      await alice.post('/groups/team/messages', { text: 'on my way' });
      for (const id of [
        'PF',
        'R3',
        'D1.a',
        'D1.i',
        'D1.ii',
        'D1.iii',
        'D1.v',
        'D1.vi',
        'D1.vii',
        'D1.viii',
      ]) {
        await waitUntil(`${id} to light`, async () => live.lit(id));
      }
      // Still dark: nothing in this flow answers 481, and the PF never invited a returning client into an
      // active session.
      for (const id of ['D1.iv', 'A2.a', 'A2.i', 'A2.ii']) expect(live.lit(id), id).toBe(false);
      expect(live.updates).toBeGreaterThan(2);
      const deferred = live.hops.find((h) => h.label === 'INVITE' && h.to === 'alice');
      expect(deferred?.description).toBe('INVITE (cpm.deferred, sendonly)');
      expect(deferred?.text).toMatch(/^INVITE sip:alice@/);
      expect(deferred?.conversations).toHaveLength(1);
      expect(live.nodeEvents.some((e) => e.node === 'alice' && e.type === 'registration')).toBe(true);
      // The live timeline is the merge the lab client computes.
      await waitUntil('the feed to match the merged /traces', async () => {
        const merged = await client.hops();
        return live.hops.map((h) => h.label).join() === merged.map((h) => h.label).join();
      });
      // The evidence of a lit clause points at the hops that show it.
      const d1a = live.clauses.find((c) => c.id === 'D1.a')!;
      expect(d1a.evidence.map((i) => live.hops[i]!.label)).toEqual(['INVITE', '200 OK (INVITE)']);
    } finally {
      live.close();
    }
  });

  it('A2.a, A2.i: a returning client invited into the active session (cpm.session, sendrecv)', async () => {
    const alice = client.node('alice');
    await alice.post('/offline', { mode: 'drop' });
    await waitUntil(
      'the PF to see alice gone',
      async () =>
        !((await client.node('pf').get('/state')) as { online: string[] }).online.includes(
          'sip:alice@ims.lab',
        ),
    );
    await client.node('carol').post('/groups/team/messages', { text: 'still here' });
    await alice.post('/online');
    await waitUntil('alice to get it', async () =>
      ((await alice.get('/messages')) as Array<{ text: string }>).some((m) => m.text === 'still here'),
    );
    const lights = evaluateClauses(await client.hops(), roles);
    const lit = (id: string) => lights.find((c) => c.id === id)!.lit;
    expect(lit('A2.a')).toBe(true);
    expect(lit('A2.i')).toBe(true);
  });

  it('D1.iv, A2.ii: invitations for a group the client does not know are answered 481', async () => {
    const pf = client.node('pf');
    const alice = client.node('alice');
    const secretGroup = async (id: string) => {
      // Known to the PF and bob only: alice's client has never heard of it.
      const created = (await pf.post('/groups', {
        id,
        participants: ['sip:alice@ims.lab', 'sip:bob@ims.lab'],
      })) as { conferenceUri: string; conversationId: string; contributionId: string };
      await client.node('bob').post('/groups', { ...created, subject: id, participants: [] });
    };
    await secretGroup('secret-quiet');
    await secretGroup('secret-live');
    await alice.post('/offline', { mode: 'deregister' });
    await client.node('bob').post('/groups/secret-quiet/messages', { text: 'psst' });
    await client.node('bob').post('/groups/secret-live/messages', { text: 'psst, live' });
    await waitUntil('the PF to store both', async () => {
      const backlog = (await pf.get('/backlog/alice')) as { items: Array<{ groupId: string }> };
      return ['secret-quiet', 'secret-live'].every((g) => backlog.items.some((i) => i.groupId === g));
    });
    await pf.post('/groups/secret-quiet/end');
    await alice.post('/online');
    await waitUntil('D1.iv and A2.ii', async () => {
      const lights = evaluateClauses(await client.hops(), roles);
      return ['D1.iv', 'A2.ii'].every((id) => lights.find((c) => c.id === id)!.lit);
    });
  });

  it('runs a named scenario of the lab (POST /scenarios/:name/run) and lists them', async () => {
    const { scenarios } = (await client.get('/scenarios')) as { scenarios: Array<{ name: string }> };
    expect(scenarios.map((s) => s.name)).toContain('deferred-inactive');
    const result = (await client.post('/scenarios/deferred-inactive/run')) as {
      passed: boolean;
      checks: unknown[];
      hops?: unknown;
    };
    if (!result.passed) console.log(JSON.stringify(result, null, 1).slice(0, 6000));
    expect(result.passed).toBe(true);
    expect(result.checks.length).toBeGreaterThan(0);
    expect(result.hops).toBeUndefined();
    await expect(client.post('/scenarios/nope/run')).rejects.toThrow(/404 no scenario "nope"/);
  }, 60_000);
});
