// The client daemon driven through its control API against the real CSCF and the scripted PF.
import { afterEach, describe, expect, it } from 'vitest';
import { parseCpim } from '../../protocol/cpim/index.js';
import { ClientDatabase, ClientStore } from '../store/index.js';
import { CONFERENCE_URI, CONTRIB_ID, CONV_ID } from '../test-support/fixtures.js';
import { tempDir } from '../test-support/harness.js';
import { SILENT, startTestLab, type TestLab, TestPf } from '../test-support/test-pf.js';
import { clientConfig } from './config.js';
import { ClientDaemon } from './daemon.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(
  register = true,
  user = 'alice',
  extra: Record<string, string> = {},
): Promise<{ lab: TestLab; daemon: ClientDaemon; api: Api }> {
  const lab = await startTestLab();
  cleanups.push(() => lab.close());
  const tmp = await tempDir();
  cleanups.push(() => tmp.remove());
  const config = clientConfig(
    { user, cscf: `${lab.cscfAddress.host}:${lab.cscfAddress.port}`, storeDir: tmp.dir, t1: '50', ...extra },
    { CPM_LAB_CLIENT_REGISTER: register ? 'true' : 'false' },
  );
  const daemon = await ClientDaemon.start(config, { logger: SILENT });
  cleanups.push(() => daemon.close());
  return { lab, daemon, api: api(daemon.controlUrl) };
}

// biome-ignore lint/suspicious/noExplicitAny: the control API answers JSON of many shapes; tests read fields directly
type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

function api(base: string): Api {
  return async (method, path, body) => {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await fetch(`${base}${path}`, init);
    return { status: res.status, body: await res.json() };
  };
}

const GROUP = {
  conversationId: CONV_ID,
  contributionId: CONTRIB_ID,
  conferenceUri: CONFERENCE_URI,
  subject: 'team',
  members: ['alice', 'bob'],
};

describe('client daemon control API', () => {
  it('issue 20: the message log cap and the trace limits are settings, and /state says the cap', async () => {
    const { daemon, api: call } = await start(false, 'alice', { maxLogEntries: '250', traceMaxRecords: '3' });
    expect((await call('GET', '/state')).body.messageLog).toEqual({ maxEntriesPerGroup: 250, trimmed: 0 });
    expect(daemon.recorder.capacity).toBe(3);
  });

  it('issue 20: a client closes the store it opened itself (its database file is released), and leaves a store it was given to its opener', async () => {
    const { daemon } = await start(false);
    await daemon.close();
    expect(() => daemon.client.store.setPolicy({ default: 'later' })).toThrow(/closed/);

    const tmp = await tempDir();
    cleanups.push(() => tmp.remove());
    const database = ClientDatabase.open(`${tmp.dir}/clients.db`);
    cleanups.push(async () => database.close());
    const lab = await startTestLab();
    cleanups.push(() => lab.close());
    const given = ClientStore.on(database, { owner: 'bob' });
    const bob = await ClientDaemon.start(
      clientConfig(
        { user: 'bob', cscf: `${lab.cscfAddress.host}:${lab.cscfAddress.port}`, storeDir: tmp.dir },
        { CPM_LAB_CLIENT_REGISTER: 'false' },
      ),
      { logger: SILENT, store: given },
    );
    expect(bob.client.store).toBe(given);
    await bob.close();
    expect(() => given.setPolicy({ default: 'later' })).not.toThrow();
  });

  it('architecture.md control plane: config from flags and env, bound to 127.0.0.1, registered at start', async () => {
    const { daemon, api: call, lab } = await start();
    expect(new URL(daemon.controlUrl).hostname).toBe('127.0.0.1');
    const state = await call('GET', '/state');
    expect(state.body).toMatchObject({
      node: 'client',
      aor: 'sip:alice@ims.lab',
      registration: { state: 'online' },
    });
    expect(lab.cscf.state().bindings.some((b) => b.aor === 'sip:alice@ims.lab')).toBe(true);
    expect((await call('GET', '/health')).body).toMatchObject({ status: 'ok', node: 'alice' });
  });

  it('protocol-notes §3: POST /offline deregister and drop, POST /online; bad input gets a clear 400', async () => {
    const { api: call, lab } = await start();
    expect((await call('POST', '/offline', { mode: 'sideways' })).body.error).toMatch(
      /"mode" must be one of deregister, drop/,
    );
    expect((await call('POST', '/offline', 'nope')).status).toBe(400);
    const off = await call('POST', '/offline', { mode: 'deregister' });
    expect(off.body.registration).toEqual({ state: 'offline', reason: 'deregistered' });
    expect(lab.cscf.state().bindings).toEqual([]);
    expect((await call('POST', '/online')).body.registration.state).toBe('online');
    const drop = await call('POST', '/offline', { mode: 'drop' });
    expect(drop.body.registration).toEqual({ state: 'offline', reason: 'dropped' });
    await lab.pf.waitFor('REGISTER', () => lab.cscf.state().bindings.every((b) => !b.reachable));
  });

  it('D1.v / D1.i / D1.viii: policy, groups, send (queued then sent after the deferred BYE), inbox', async () => {
    const { api: call, lab, daemon } = await start();
    expect(
      (
        await call('POST', '/groups', {
          conferenceUri: CONFERENCE_URI,
          conversationId: CONV_ID,
          contributionId: CONTRIB_ID,
          subject: 'team',
          participants: ['sip:bob@ims.lab'],
        })
      ).status,
    ).toBe(201);
    expect((await call('GET', '/groups')).body).toHaveLength(1);
    expect((await call('POST', '/groups/nope/messages', { text: 'x' })).status).toBe(404);
    expect((await call('POST', '/groups/team/messages', {})).body.error).toBe('"text" is required');
    expect((await call('PUT', '/policy', { policy: 'maybe' })).status).toBe(400);
    expect((await call('PUT', '/policy', { policy: 'later', group: 'team' })).body).toMatchObject({
      perGroup: { [CONV_ID]: 'later' },
    });
    expect((await lab.pf.invite('alice', GROUP)).status).toBe(480);
    await call('PUT', '/policy', { policy: 'accept', group: 'team' });
    const { leg } = await lab.pf.invite('alice', GROUP);
    await leg!.bound;
    const got = new Promise((resolve) => daemon.client.once('message', resolve));
    await TestPf.sendChat(leg!, {
      from: 'sip:bob@ims.lab',
      to: CONFERENCE_URI,
      messageId: 'd-1',
      text: 'stored hello',
    });
    await got;
    const queued = await call('POST', '/groups/team/messages', { text: 'answer' });
    expect(queued).toMatchObject({ status: 202, body: { queued: true } });
    await leg!.session.bye();
    const { leg: join } = await lab.pf.waitForJoin();
    expect(parseCpim((await join.waitForMessage(() => true)).body).content.toString()).toBe('answer');
    const inbox = await call('GET', '/messages?group=team');
    expect(inbox.body.map((m: { text: string }) => m.text)).toEqual(['stored hello']);
    expect((await call('GET', '/notifications')).body).toEqual([]);
  });

  it('POST /online reports a failed registration with its SIP status (unknown user → 404 from the CSCF)', async () => {
    const { api: call } = await start(false, 'dave');
    const r = await call('POST', '/online');
    expect(r.status).toBe(502);
    expect(r.body.error).toMatch(/registration failed: 404/);
    expect((await call('GET', '/state')).body.registration).toMatchObject({ state: 'failed', status: 404 });
  });
});
