import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildGroupState, parseGroupState } from '../../protocol/bodies/index.js';
import { decideInvitation, INITIAL_OUTBOX, type ReceivedMessage, runOutbox } from '../domain/index.js';
import { CONFERENCE_URI, CONTRIB_ID, CONV_ID, pfInvite } from '../test-support/fixtures.js';
import { CLIENT_MIGRATIONS, ClientDatabase, ClientStore, StoreError } from './index.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cpm-client-store-'));
  path = join(dir, 'users', 'alice.json');
});

// Every store a test opens is flushed before its directory is removed (writes run in the background).
const opened: ClientStore[] = [];
async function open(options: Parameters<typeof ClientStore.open>[0]): Promise<ClientStore> {
  const store = await ClientStore.open(options);
  opened.push(store);
  return store;
}

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.committed()));
  await rm(dir, { recursive: true, force: true });
});

const NEW_GROUP = {
  conversationId: CONV_ID,
  contributionId: CONTRIB_ID,
  conferenceUri: CONFERENCE_URI,
  subject: 'Team',
};

function groupState(timestamp: string, members: string[], lastFocusSessionId = CONFERENCE_URI) {
  // Through the real codec, as it arrives in an MSRP SEND (D1.vii).
  return parseGroupState(
    buildGroupState({
      timestamp: new Date(timestamp),
      lastFocusSessionId,
      groupType: 'Closed',
      participants: members.map((m) => ({ name: m, commAddr: `sip:${m}@ims.lab` })),
    }),
  );
}

function message(id: string, groupKey = CONV_ID): ReceivedMessage {
  return {
    groupKey,
    messageId: id,
    from: 'sip:bob@ims.lab',
    contentType: 'text/plain',
    text: `hello ${id}`,
    requested: ['positive-delivery', 'display'],
    arrivedOn: 'deferred',
    receivedAt: '2026-11-24T10:15:00.000Z',
    notified: {},
  };
}

describe('group store', () => {
  it('D1.iv: groups survive a reopen and are found by IDs (exactly, as opaque tokens) and by conference URI', async () => {
    const s1 = await open({ path });
    const added = s1.groups.add({
      ...NEW_GROUP,
      conversationId: ` ${CONV_ID} `,
      participants: [{ uri: 'sip:bob@ims.lab', name: 'Bob' }],
    });
    expect(added.key).toBe(CONV_ID);
    expect(added.conversationId).toBe(CONV_ID);
    await s1.close();

    const s2 = await open({ path });
    expect(s2.groups.list()).toEqual([added]);
    expect(s2.groups.findByIds(CONV_ID, CONTRIB_ID)?.key).toBe(CONV_ID);
    // Opaque: another case or the 32-hex form of the same UUID is another ID.
    expect(s2.groups.findByIds(CONV_ID.replace(/-/g, ''), CONTRIB_ID)).toBeUndefined();
    expect(s2.groups.findByIds(CONV_ID, CONTRIB_ID.toUpperCase())).toBeUndefined();
    expect(s2.groups.findByIds(CONV_ID, CONV_ID)).toBeUndefined();
    expect(s2.groups.findByConferenceUri('sip:group-7@IMS.LAB')?.key).toBe(CONV_ID);
    expect(() => s2.groups.add(NEW_GROUP)).toThrow(StoreError);
  });

  it('D1.vii / 7.3.1.5: lastfocussessionid becomes the re-join target; the user missing from the object means it was removed', async () => {
    const s = await open({ path });
    const g = s.groups.add(NEW_GROUP);
    const moved = 'sip:group-7-moved@ims.lab';
    const r1 = s.groups.applyGroupState(
      g.key,
      groupState('2026-11-24T10:15:00Z', ['alice', 'bob'], moved),
      'sip:alice@ims.lab',
    );
    expect(r1).toMatchObject({ applied: true, removed: false, group: { conferenceUri: moved, left: false } });
    // Not a SIP URI: the re-join target stays as it was.
    s.groups.applyGroupState(
      g.key,
      groupState('2026-11-24T10:15:01Z', ['alice'], 'urn:x:y'),
      'sip:alice@ims.lab',
    );
    expect(s.groups.get(g.key)!.conferenceUri).toBe(moved);
    const r2 = s.groups.applyGroupState(
      g.key,
      groupState('2026-11-24T10:16:00Z', ['bob', 'carol'], moved),
      'sip:alice@ims.lab',
    );
    expect(r2).toMatchObject({ applied: true, removed: true, group: { left: true } });
    expect(s.groups.findByConferenceUri(moved)).toBeUndefined();
    await s.close();
  });

  it('D1.vii: a group state object replaces the participants and records its timestamp; an older one is ignored', async () => {
    const s = await open({ path });
    const g = s.groups.add({ ...NEW_GROUP, participants: [{ uri: 'sip:dave@ims.lab' }] });
    const r1 = s.groups.applyGroupState(g.key, groupState('2026-11-24T10:15:00Z', ['alice', 'bob', 'carol']));
    expect(r1.applied).toBe(true);
    expect(s.groups.get(g.key)).toMatchObject({
      participants: [
        { uri: 'sip:alice@ims.lab', name: 'alice' },
        { uri: 'sip:bob@ims.lab', name: 'bob' },
        { uri: 'sip:carol@ims.lab', name: 'carol' },
      ],
      groupStateTimestamp: '2026-11-24T10:15:00.000Z',
    });
    const older = s.groups.applyGroupState(g.key, groupState('2026-11-24T10:14:59Z', ['alice']));
    expect(older).toMatchObject({ applied: false, reason: 'older' });
    expect(s.groups.get(g.key)!.participants).toHaveLength(3);
    const newer = s.groups.applyGroupState(g.key, groupState('2026-11-24T10:16:00Z', ['alice', 'bob']));
    expect(newer.applied).toBe(true);
    expect(s.groups.applyGroupState('nope', groupState('2026-11-24T10:16:00Z', []))).toEqual({
      applied: false,
      reason: 'unknown-group',
    });
    await s.close();
    // The timestamp guard survives a reopen too.
    const s2 = await open({ path });
    expect(s2.groups.get(g.key)!.participants.map((p) => p.name)).toEqual(['alice', 'bob']);
    expect(s2.groups.applyGroupState(g.key, groupState('2026-11-24T10:15:30Z', ['x'])).applied).toBe(false);
  });

  it('D1.v.1: a declined group is marked left, kept, and no longer matched for invitations', async () => {
    const s = await open({ path });
    const g = s.groups.add(NEW_GROUP);
    const decision = decideInvitation(pfInvite(), {
      groups: s.groups.list(),
      policy: { default: 'decline' },
    });
    expect(decision.status).toBe(603);
    if (decision.action !== 'reject') throw new Error('expected reject');
    for (const effect of decision.effects) s.groups.markLeft(effect.groupKey);
    expect(s.groups.get(g.key)).toMatchObject({ left: true, sessionState: 'inactive' });
    expect(s.groups.findByIds(CONV_ID, CONTRIB_ID)).toBeUndefined();
    await s.close();
    const s2 = await open({ path });
    expect(
      decideInvitation(pfInvite(), { groups: s2.groups.list(), policy: { default: 'accept' } }).status,
    ).toBe(481);
  });

  it('A2.i: an accepted invitation upserts the group with its session state', async () => {
    const s = await open({ path });
    s.groups.add(NEW_GROUP);
    const d = decideInvitation(
      pfInvite({
        acceptContact: ['*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"'],
        direction: 'sendrecv',
      }),
      {
        groups: s.groups.list(),
        policy: s.policy,
      },
    );
    if (d.action !== 'accept') throw new Error('expected accept');
    s.groups.upsert(d.group);
    expect(s.groups.get(CONV_ID)?.sessionState).toBe('active');
    expect(s.groups.list()).toHaveLength(1);
  });
});

describe('message log', () => {
  it('D1.i: re-delivery is de-duplicated by imdn.Message-ID, also after a reopen', async () => {
    const s = await open({ path });
    expect(s.messages.recordReceived(message('m1')).duplicate).toBe(false);
    expect(s.messages.recordReceived(message('m2')).duplicate).toBe(false);
    const again = s.messages.recordReceived({ ...message('m1'), text: 'changed', arrivedOn: 'active' });
    expect(again.duplicate).toBe(true);
    expect(again.entry.text).toBe('hello m1');
    // The same Message-ID in another group is another message.
    expect(s.messages.recordReceived(message('m1', 'other')).duplicate).toBe(false);
    // IDs are exact tokens: a different case is a different ID.
    expect(s.messages.recordReceived(message('M1')).duplicate).toBe(false);
    expect(s.messages.received(CONV_ID).map((m) => m.messageId)).toEqual(['m1', 'm2', 'M1']);
    await s.close();
    const s2 = await open({ path });
    expect(s2.messages.recordReceived(message('m2')).duplicate).toBe(true);
    expect(s2.messages.received()).toHaveLength(4);
  });

  it('D1.ii: requested dispositions are kept and notifications are marked sent once', async () => {
    const s = await open({ path });
    s.messages.recordReceived(message('m1'));
    expect(s.messages.getReceived(CONV_ID, 'm1')?.requested).toEqual(['positive-delivery', 'display']);
    expect(s.messages.markNotified(CONV_ID, 'm1', 'delivered')?.notified).toEqual({ delivery: true });
    expect(s.messages.markNotified(CONV_ID, 'm1', 'displayed')?.notified).toEqual({
      delivery: true,
      display: true,
    });
    expect(s.messages.markNotified(CONV_ID, 'nope', 'displayed')).toBeUndefined();
  });

  it('A2.i: incoming IMDNs update the per-recipient status of a sent message; a duplicate IMDN changes nothing', async () => {
    const s = await open({ path });
    s.messages.recordSent({
      groupKey: CONV_ID,
      messageId: 'out-1',
      text: 'hi all',
      sentAt: new Date('2026-11-24T10:00:00Z'),
      requested: ['positive-delivery', 'display'],
    });
    const base = { groupKey: CONV_ID, aboutMessageId: 'out-1', receivedAt: '2026-11-24T10:01:00.000Z' };
    const r1 = s.messages.recordNotification({
      ...base,
      messageId: 'n1',
      from: 'sip:bob@ims.lab',
      notification: { kind: 'delivery', status: 'delivered' },
    });
    expect(r1.duplicate).toBe(false);
    expect(r1.sent?.recipients['sip:bob@ims.lab']).toMatchObject({ delivery: 'delivered' });
    s.messages.recordNotification({
      ...base,
      messageId: 'n2',
      from: 'sip:bob@ims.lab',
      notification: { kind: 'display', status: 'displayed' },
    });
    s.messages.recordNotification({
      ...base,
      messageId: 'n3',
      from: 'sip:carol@IMS.LAB',
      notification: { kind: 'delivery', status: 'delivered' },
    });
    const dup = s.messages.recordNotification({
      ...base,
      messageId: 'n3',
      from: 'sip:carol@ims.lab',
      notification: { kind: 'delivery', status: 'failed' },
    });
    expect(dup.duplicate).toBe(true);
    expect(s.messages.getSent('out-1')?.recipients).toEqual({
      'sip:bob@ims.lab': { delivery: 'delivered', display: 'displayed', updatedAt: base.receivedAt },
      'sip:carol@ims.lab': { delivery: 'delivered', updatedAt: base.receivedAt },
    });
    expect(s.messages.notifications(CONV_ID)).toHaveLength(3);
    // A notification about an unknown message is still logged.
    expect(
      s.messages.recordNotification({
        ...base,
        aboutMessageId: 'x',
        messageId: 'n4',
        from: 'sip:bob@ims.lab',
        notification: { kind: 'delivery', status: 'delivered' },
      }).sent,
    ).toBeUndefined();
    await s.close();
    const s2 = await open({ path });
    expect(s2.messages.getSent('out-1')?.recipients['sip:bob@ims.lab']?.display).toBe('displayed');
  });

  it('D1.i: the log is bounded per group; the oldest entries (and their de-dup keys) go first', async () => {
    const s = await open({ path, maxEntriesPerGroup: 3 });
    for (const id of ['a', 'b', 'c', 'd']) s.messages.recordReceived(message(id));
    s.messages.recordReceived(message('z', 'other'));
    expect(s.messages.received(CONV_ID).map((m) => m.messageId)).toEqual(['b', 'c', 'd']);
    expect(s.messages.hasReceived(CONV_ID, 'a')).toBe(false);
    expect(s.messages.received('other')).toHaveLength(1);
  });
});

describe('store file', () => {
  it('D1.viii / R3: the queued outbox and the policy survive a reopen; sessions do not', async () => {
    const s = await open({ path, defaultPolicy: { default: 'later' } });
    const t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      { type: 'deferredSessionStarted', group: CONV_ID },
      { type: 'userTyped', group: CONV_ID, message: { id: 'q1', text: 'reply' } },
    ]);
    s.setOutbox(t.state);
    s.setPolicy({ default: 'accept', perGroup: { [CONV_ID]: 'decline' } });
    await s.close();
    const s2 = await open({ path });
    expect(s2.outbox).toEqual({
      registered: false,
      groups: { [CONV_ID]: { phase: 'idle', deferred: false, queue: [{ id: 'q1', text: 'reply' }] } },
    });
    expect(s2.policy).toEqual({ default: 'accept', perGroup: { [CONV_ID]: 'decline' } });
  });

  it('client store: groups and the outbox are handed out as frozen values, replaced (not changed) by an update; the same outbox again is no write', async () => {
    const s = await open({ path });
    const added = s.groups.add(NEW_GROUP);
    expect(Object.isFrozen(added) && Object.isFrozen(added.participants)).toBe(true);
    expect(() => {
      (added as { subject?: string }).subject = 'changed';
    }).toThrow(TypeError);
    const updated = s.groups.update(added.key, { subject: 'Renamed' })!;
    expect(updated.subject).toBe('Renamed');
    expect(added.subject).toBe('Team'); // what a holder has does not change under it
    expect(s.groups.get(added.key)).toBe(updated);
    expect(s.groups.list()).toEqual([updated]);

    const t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      { type: 'activeSessionStarted', group: CONV_ID },
    ]);
    s.setOutbox(t.state);
    expect(Object.isFrozen(s.outbox) && Object.isFrozen(s.outbox.groups[CONV_ID])).toBe(true);
    await s.close();
    // A transition that changed nothing hands back the same state: no write (a closed store would refuse one).
    expect(() => s.setOutbox(s.outbox)).not.toThrow();
    expect(() => s.setOutbox({ ...s.outbox })).toThrow(/closed/);
  });

  it('client store on the embedded database: the changes of one turn are one commit, durable once committed() resolves (a reopen sees them); a closed store refuses changes', async () => {
    const s = await open({ path });
    for (let i = 0; i < 50; i++) s.messages.recordReceived(message(`m${i}`));
    expect(s.messages.received(CONV_ID)).toHaveLength(50); // the store itself reads its pending changes
    // Another connection, in the same turn: nothing is committed yet (one transaction for the turn).
    const raw = new Database(join(dir, 'users', 'alice.db'), { readonly: true });
    const count = () => Number((raw.prepare('SELECT count(*) AS n FROM received').get() as { n: number }).n);
    expect(count()).toBe(0);
    await s.committed();
    expect(count()).toBe(50);
    raw.close();
    // Opened a second time while the first is still open: it reads what is committed, without a flush.
    const peek = await open({ path });
    expect(peek.messages.received(CONV_ID)).toHaveLength(50);
    await peek.close();
    expect(await readdir(join(dir, 'users'))).toContain('alice.db');
    await s.close();
    expect(() => s.groups.add(NEW_GROUP)).toThrow(/closed/);
    expect(() => s.messages.recordReceived(message('late'))).toThrow(/closed/);
    expect(s.groups.list()).toEqual([]);
  });

  it('client store: a legacy JSON store is imported once; a corrupt or foreign one is refused with a typed error', async () => {
    await mkdir(join(dir, 'users'), { recursive: true });
    await writeFile(path, '{not json');
    await expect(ClientStore.open({ path })).rejects.toMatchObject({ name: 'StoreError', code: 'corrupt' });
    await writeFile(path, JSON.stringify({ version: 99 }));
    await expect(ClientStore.open({ path })).rejects.toMatchObject({ code: 'corrupt' });
    const legacy = {
      version: 1,
      groups: [
        {
          key: CONV_ID,
          conferenceUri: 'sip:group-7@ims.lab',
          participants: [],
          sessionState: 'inactive',
          left: false,
          conversationId: CONV_ID,
          contributionId: CONTRIB_ID,
        },
      ],
      received: [message('old-1')],
      notifications: [],
      sent: [],
      outbox: { registered: false, groups: {} },
      policy: { default: 'later' },
    };
    await writeFile(path, JSON.stringify(legacy));
    const s = await ClientStore.open({ path });
    expect(s.groups.list().map((g) => g.key)).toEqual([CONV_ID]);
    expect(s.messages.received(CONV_ID).map((m) => m.messageId)).toEqual(['old-1']);
    expect(s.policy).toEqual({ default: 'later' });
    await s.close();
    const files = (await readdir(join(dir, 'users'))).filter((f) => !/-(wal|shm)$/.test(f));
    expect(files.sort()).toEqual(['alice.db', 'alice.json.imported']);
  });

  it('client store: the per-group cap is explicit and counted (never silent); the oldest go first', async () => {
    const s = await open({ path, maxEntriesPerGroup: 5_000 });
    for (let i = 0; i < 5_200; i++) s.messages.recordReceived(message(`x${i}`));
    expect(s.messages.received(CONV_ID)).toHaveLength(5_000);
    expect(s.messages.limits).toEqual({ maxEntriesPerGroup: 5_000, trimmed: 200 });
    expect(s.messages.hasReceived(CONV_ID, 'x199')).toBe(false);
    expect(s.messages.hasReceived(CONV_ID, 'x5199')).toBe(true);
    await s.close();
  });
});

describe('one database, many clients (an embedded lab)', () => {
  let databases: ClientDatabase[];
  beforeEach(() => {
    databases = [];
  });
  afterEach(() => {
    for (const d of databases) d.close();
  });
  function openDatabase(file = join(dir, 'clients.db')): ClientDatabase {
    const d = ClientDatabase.open(file);
    databases.push(d);
    return d;
  }

  it('client store: each owner sees only its rows (the same group and Message-IDs in two stores do not collide); caps, policy and outbox are per owner; a reopen keeps them apart', async () => {
    const db = openDatabase();
    const alice = ClientStore.on(db, { owner: 'alice', maxEntriesPerGroup: 3 });
    const bob = ClientStore.on(db, { owner: 'bob', defaultPolicy: { default: 'later' } });
    alice.groups.add(NEW_GROUP);
    bob.groups.add({ ...NEW_GROUP, subject: 'Team (bob)' });
    for (let i = 0; i < 5; i++) alice.messages.recordReceived(message(`m${i}`));
    // D1.i de-dup is per store: bob has not received m0 although alice has.
    expect(bob.messages.recordReceived(message('m0')).duplicate).toBe(false);
    expect(bob.messages.recordReceived(message('m0')).duplicate).toBe(true);
    alice.setPolicy({ default: 'decline' });
    alice.setOutbox(
      runOutbox(INITIAL_OUTBOX, [
        { type: 'registered' },
        { type: 'userTyped', group: CONV_ID, message: { id: 'q1', text: 'queued' } },
      ]).state,
    );
    await Promise.all([alice.committed(), bob.committed()]);

    expect(alice.messages.received(CONV_ID).map((m) => m.messageId)).toEqual(['m2', 'm3', 'm4']);
    expect(alice.messages.limits.trimmed).toBe(2);
    expect(bob.messages.received().map((m) => m.messageId)).toEqual(['m0']);
    expect(bob.messages.limits.trimmed).toBe(0);
    expect(bob.groups.list().map((g) => g.subject)).toEqual(['Team (bob)']);
    expect(bob.policy).toEqual({ default: 'later' });
    expect(Object.keys(bob.outbox.groups)).toEqual([]);

    db.close();
    const again = openDatabase();
    const alice2 = ClientStore.on(again, { owner: 'alice' });
    const bob2 = ClientStore.on(again, { owner: 'bob' });
    expect(alice2.groups.list().map((g) => g.subject)).toEqual(['Team']);
    expect(alice2.messages.received(CONV_ID)).toHaveLength(3);
    expect(alice2.policy).toEqual({ default: 'decline' });
    expect(Object.keys(alice2.outbox.groups)).toEqual([CONV_ID]);
    expect(bob2.messages.received().map((m) => m.messageId)).toEqual(['m0']);
  });

  it('client store: the stores of one database share one commit per turn; a closed store refuses changes, the others go on; closing the database closes them all', async () => {
    const db = openDatabase();
    const alice = ClientStore.on(db, { owner: 'alice' });
    const bob = ClientStore.on(db, { owner: 'bob' });
    alice.messages.recordReceived(message('a1'));
    bob.messages.recordReceived(message('b1'));
    const raw = new Database(join(dir, 'clients.db'), { readonly: true });
    const count = () => Number((raw.prepare('SELECT count(*) AS n FROM received').get() as { n: number }).n);
    expect(count()).toBe(0);
    await bob.committed(); // one transaction: alice's change committed with bob's
    expect(count()).toBe(2);
    raw.close();
    await alice.close();
    expect(() => alice.messages.recordReceived(message('a2'))).toThrow(/closed/);
    bob.messages.recordReceived(message('b2'));
    await bob.committed();
    expect(bob.messages.received()).toHaveLength(2);
    db.close();
    expect(() => bob.messages.recordReceived(message('b3'))).toThrow(/closed/);
    expect(() => ClientStore.on(db, { owner: 'carol' })).toThrow(StoreError);
  });

  it('client store: a database of schema 1 (one client, no owner column) keeps its rows, as owner "", after the upgrade', async () => {
    const file = join(dir, 'v1.db');
    const v1 = new Database(file);
    v1.exec(CLIENT_MIGRATIONS[0]!.sql);
    v1.exec('PRAGMA user_version = 1');
    v1.prepare("INSERT INTO settings (name, value) VALUES ('policy', :v)").run({ v: '{"default":"later"}' });
    v1.prepare('INSERT INTO received (group_key, message_id, record) VALUES (:g, :m, :r)').run({
      g: CONV_ID,
      m: 'old',
      r: JSON.stringify(message('old')),
    });
    v1.close();
    const s = await open({ path: file });
    expect(s.policy).toEqual({ default: 'later' });
    expect(s.messages.received(CONV_ID).map((m) => m.messageId)).toEqual(['old']);
    expect(s.messages.recordReceived(message('old')).duplicate).toBe(true);
    expect(s.messages.recordReceived(message('new')).duplicate).toBe(false);
    await s.close();
  });

  it("client store: a client's own database (an earlier lab's per-client file) is taken into the shared one once, as its owner's rows, and renamed; never merged into an owner that has rows", async () => {
    const own = join(dir, 'clients', 'alice.db');
    const s = await open({ path: own });
    s.setPolicy({ default: 'later' });
    s.groups.add(NEW_GROUP);
    s.messages.recordReceived(message('kept'));
    await s.close();

    const db = openDatabase();
    ClientStore.on(db, { owner: 'bob' }).messages.recordReceived(message('bob-1'));
    db.importOwnDatabase(own, 'alice');
    const alice = ClientStore.on(db, { owner: 'alice' });
    expect(alice.groups.list().map((g) => g.key)).toEqual([CONV_ID]);
    expect(alice.messages.received().map((m) => m.messageId)).toEqual(['kept']);
    expect(alice.policy).toEqual({ default: 'later' });
    expect(alice.messages.recordReceived(message('kept')).duplicate).toBe(true);
    expect((await readdir(join(dir, 'clients'))).filter((f) => f.startsWith('alice.db'))).toContain(
      'alice.db.imported',
    );
    expect(() => db.importOwnDatabase(join(dir, 'clients', 'alice.db.imported'), 'alice')).toThrow(
      expect.objectContaining({ code: 'exists' }),
    );
  });
});
