// CpmClient against the real CSCF and a scripted PF on the project's SIP/MSRP stack, over real sockets.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMultipart, getHeader, parseResourceLists, allEntries } from '../protocol/bodies/index.js';
import { cpimFrom, cpimTo, parseCpim } from '../protocol/cpim/index.js';
import { decodeFeatureValues } from '../protocol/cpm/index.js';
import { imdnMessageId, readImdnCpim } from '../protocol/imdn/index.js';
import { parseMsrpSdp } from '../protocol/sdp/index.js';
import type { CpmClient } from './cpm-client.js';
import { CLIENT_ICSIS } from './node/wire.js';
import { nextEvent, startClient, tempDir } from './test-support/harness.js';
import { CONFERENCE_URI, CONTRIB_ID, CONV_ID } from './test-support/fixtures.js';
import { type PfGroup, startTestLab, type TestLab, TestPf } from './test-support/test-pf.js';

const GROUP: PfGroup = {
  conversationId: CONV_ID,
  contributionId: CONTRIB_ID,
  conferenceUri: CONFERENCE_URI,
  subject: 'Team',
  members: ['alice', 'bob', 'carol'],
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  policy: 'accept' | 'decline' | 'later' = 'accept',
  options: Parameters<typeof startClient>[4] = {},
): Promise<{ lab: TestLab; alice: CpmClient }> {
  const lab = await startTestLab();
  cleanups.push(() => lab.close());
  const tmp = await tempDir();
  cleanups.push(() => tmp.remove());
  const alice = await startClient(lab, tmp.dir, 'alice', policy, options);
  cleanups.push(() => alice.close());
  alice.addGroup({
    conversationId: CONV_ID,
    contributionId: CONTRIB_ID,
    conferenceUri: CONFERENCE_URI,
    subject: 'Team',
    participants: [{ uri: 'sip:alice@ims.lab' }, { uri: 'sip:bob@ims.lab' }],
  });
  return { lab, alice };
}

const sdpOf = (body: Buffer) => parseMsrpSdp(body);

describe('CpmClient registration', () => {
  it('protocol-notes §2: REGISTER over a kept TCP flow with the implemented ICSIs (session, deferred, msg) in one +g.3gpp.icsi-ref and +sip.instance', async () => {
    const { lab, alice } = await setup();
    const status = await alice.online();
    expect(status.state).toBe('online');
    // protocol-notes §3: the CSCF tells the PF with a third-party REGISTER.
    await lab.pf.waitFor('REGISTER', (r) => r.get('expires') !== '0');
    const [binding] = lab.cscf.state().bindings.filter((b) => b.aor === 'sip:alice@ims.lab');
    expect(binding?.flow.transport).toBe('tcp');
    expect(binding?.instanceId).toBe(alice.instanceId);
    const icsi = binding?.features['+g.3gpp.icsi-ref'];
    expect(decodeFeatureValues(icsi!)).toEqual([...CLIENT_ICSIS]);
    // RFC 3840 §9: only what the client implements (no large-message mode).
    expect(decodeFeatureValues(icsi!)).not.toContain('urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg');
    expect(alice.registration.contact).toContain(
      ';+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,',
    );
    expect(alice.registration.contact).toContain(`;+sip.instance="<${alice.instanceId}>"`);
    expect(alice.registration.contact.match(/\+g\.3gpp\.icsi-ref=/g)).toHaveLength(1);
    // §10.2.2 de-registration reaches the PF as Expires: 0.
    await alice.offline('deregister');
    await lab.pf.waitFor('REGISTER', (r) => r.get('expires') === '0');
    expect(lab.cscf.state().bindings.filter((b) => b.aor === 'sip:alice@ims.lab')).toEqual([]);
  });

  it('protocol-notes §3: offline drop closes the TCP flow without a word; the CSCF marks the binding unreachable', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    await lab.pf.waitFor('REGISTER', (r) => r.get('expires') !== '0');
    const before = lab.pf.requests.filter((r) => r.method === 'REGISTER').length;
    await alice.offline('drop');
    expect(alice.registrationStatus).toEqual({ state: 'offline', reason: 'dropped' });
    expect(alice.transport.flows()).toEqual([]);
    // The CSCF notices the closed flow and tells the PF (third-party REGISTER), no REGISTER from the client.
    await lab.pf.waitFor(
      'REGISTER',
      () => lab.pf.requests.filter((r) => r.method === 'REGISTER').length > before,
    );
    expect(lab.cscf.state().bindings.find((b) => b.aor === 'sip:alice@ims.lab')?.reachable).toBe(false);
    // Online again: a new flow and a reachable binding.
    await alice.online();
    expect(lab.cscf.state().bindings.find((b) => b.aor === 'sip:alice@ims.lab')?.reachable).toBe(true);
  });
});

describe('CpmClient invitations (7.3.11)', () => {
  it('D1.iv: a deferred INVITE with unknown Conversation-ID/Contribution-ID gets 481', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const seen = nextEvent(alice, 'invitation');
    const r = await lab.pf.invite('alice', GROUP, {
      ids: { conv: '11111111-2222-4333-8444-555555555555', contrib: CONTRIB_ID },
    });
    expect(r.status).toBe(481);
    expect((await seen)[0].clauses).toContain('D1.iv');
  });

  it('A2.ii: a session INVITE with unknown IDs (no Referred-By) gets 481', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const r = await lab.pf.invite('alice', GROUP, {
      service: 'session',
      ids: { conv: CONV_ID, contrib: '11111111-2222-4333-8444-555555555555' },
    });
    expect(r.status).toBe(481);
  });

  it.each(['deregister', 'drop'] as const)(
    'RFC 3261 §21.4.18: after offline (%s) a request that still reaches the client gets 480, nothing is taken live',
    async (mode) => {
      const { lab, alice } = await setup();
      await alice.online();
      await alice.offline(mode);
      const port = alice.sipAddress.port;
      const invite = await lab.pf.invite('alice', GROUP, { directPort: port });
      expect(invite.status).toBe(480);
      // A pager-mode MESSAGE straight to the port: 480 as well, and nothing recorded.
      const message = lab.pf.ua.message('sip:alice@ims.lab', 'x', {
        contentType: 'message/cpim',
        target: { transport: 'tcp', address: '127.0.0.1', port },
      });
      await expect(message).rejects.toMatchObject({ status: 480 });
      expect(alice.notifications()).toEqual([]);
      expect(alice.sessions()).toEqual([]);
      // Back online, the same invitation is taken again.
      await alice.online();
      expect((await lab.pf.invite('alice', GROUP)).status).toBe(200);
    },
  );

  it('RFC 3261 §21.5.14: a group creation INVITE over the size limit is refused by the client (too-large), nothing is sent, the registration stays', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const participants = Array.from({ length: 100 }, (_, i) => `user-${i}-${'x'.repeat(900)}`);
    await expect(alice.createGroup({ subject: 'big', participants })).rejects.toMatchObject({
      code: 'too-large',
    });
    expect(lab.pf.arrivals).toEqual([]);
    expect(alice.registrationStatus.state).toBe('online');
  });

  it('D1.v.1: policy decline → 603 and the group is left locally', async () => {
    const { lab, alice } = await setup('decline');
    await alice.online();
    expect((await lab.pf.invite('alice', GROUP)).status).toBe(603);
    expect(alice.groups()[0]).toMatchObject({ key: CONV_ID, left: true });
  });

  it('D1.v.2: per-group policy later → 480, the group is kept', async () => {
    const { lab, alice } = await setup();
    alice.setPolicy('later', 'team');
    await alice.online();
    expect((await lab.pf.invite('alice', GROUP)).status).toBe(480);
    expect(alice.groups()[0]).toMatchObject({ key: CONV_ID, left: false });
  });

  it.each([
    ['a=setup:active', 'active'],
    ['no a=setup (RFC 4145 default: active)', 'absent'],
  ] as const)(
    'RFC 4145 §4.1 / RFC 6135 §4.2: an offer with %s → 200, answer a=setup:passive, the PF connects and delivers',
    async (_label, mode) => {
      const { lab, alice } = await setup();
      await alice.online();
      const received = nextEvent(alice, 'message');
      const { status, leg } = await lab.pf.invite('alice', GROUP, { setup: mode });
      expect(status).toBe(200);
      expect(leg!.remote).toMatchObject({ direction: 'recvonly', setup: 'passive' });
      await leg!.bound;
      // The PF side connected: its connection's remote end is the client's MSRP listener.
      expect(leg!.msrp.connection?.remote.port).toBe(alice.msrpAddress.port);
      await TestPf.sendChat(leg!, {
        from: 'sip:bob@ims.lab',
        to: CONFERENCE_URI,
        messageId: `s-${mode}`,
        text: 'via passive',
      });
      expect((await received)[0]).toMatchObject({ text: 'via passive', arrivedOn: 'deferred' });
    },
  );

  it.each(['active', 'passive'] as const)(
    'an MSRP listener opened by the first session (embedded labs): none at start; as the %s side the session works',
    async (clientSetup) => {
      const { lab, alice } = await setup('accept', { msrp: { listen: 'onFirstSession' } });
      await alice.online();
      expect(alice.msrpAddress.port).toBe(0); // no listener yet
      const received = nextEvent(alice, 'message');
      // An offer of a=setup:active makes the client the passive side (it listens); actpass makes it connect.
      const { status, leg } = await lab.pf.invite('alice', GROUP, {
        ...(clientSetup === 'passive' ? { setup: 'active' as const } : {}),
      });
      expect(status).toBe(200);
      expect(leg!.remote.setup).toBe(clientSetup);
      await leg!.bound;
      expect(alice.msrpAddress.port).toBeGreaterThan(0);
      expect(leg!.remote.path[0]).toContain(`:${alice.msrpAddress.port}/`);
      if (clientSetup === 'passive') expect(leg!.msrp.connection?.remote.port).toBe(alice.msrpAddress.port);
      await TestPf.sendChat(leg!, {
        from: 'sip:bob@ims.lab',
        to: CONFERENCE_URI,
        messageId: `lazy-${clientSetup}`,
        text: 'first session',
      });
      expect((await received)[0]).toMatchObject({ text: 'first session' });
    },
  );

  it("7.3.2 / RFC 3840 §9: the 2xx to a PF INVITE carries the client's Contact: CPM ICSI and +sip.instance", async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const deferred = await lab.pf.invite('alice', GROUP);
    const contact = deferred.response!.get('contact')!;
    expect(contact).toContain(`+sip.instance="<${alice.instanceId}>"`);
    expect(contact).toContain('+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred"');
    await deferred.leg!.session.bye();
    const active = await lab.pf.invite('alice', GROUP, { service: 'session' });
    const sessionContact = active.response!.get('contact')!;
    expect(sessionContact).toContain(`+sip.instance="<${alice.instanceId}>"`);
    expect(sessionContact).toContain(
      '+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"',
    );
  });

  it('D1.a / D1.i / D1.iii / D1.v / D1.vii / D1.ii / D1.vi: deferred delivery over MSRP after the ACK, IMDN over SIP MESSAGE, no SUBSCRIBE', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const started = nextEvent(alice, 'session-started');
    const { status, leg } = await lab.pf.invite('alice', GROUP);
    expect(status).toBe(200);
    // D1.v / RFC 3264 §6.1: recvonly answer to the sendonly offer, the client connects (a=setup:active).
    expect(leg!.remote.direction).toBe('recvonly');
    expect(leg!.remote.setup).toBe('active');
    await leg!.bound; // the client's empty binding SEND (RFC 4975 §5.4) arrived after the ACK
    expect(leg!.msrp.connection?.local.port).toBe(lab.pf.msrp.port); // the client connected
    expect((await started)[0]).toMatchObject({ kind: 'deferred', groupKey: CONV_ID });
    // D1.iii: the group session is inactive.
    expect(alice.groups()[0]!.sessionState).toBe('inactive');

    // D1.vii: the group state object updates the participants.
    const updated = nextEvent(alice, 'group-updated', (_g, cause) => cause === 'group-state');
    await TestPf.sendGroupState(leg!, GROUP);
    expect((await updated)[0].participants.map((p) => p.uri)).toEqual([
      'sip:alice@ims.lab',
      'sip:bob@ims.lab',
      'sip:carol@ims.lab',
    ]);

    // D1.i: stored messages arrive; a re-delivered one is logged once (imdn.Message-ID).
    const messages: string[] = [];
    alice.on('message', (m) => messages.push(m.text ?? ''));
    const imdn = lab.pf.waitFor('MESSAGE', (r) => r.uri === 'sip:bob@ims.lab');
    await TestPf.sendChat(leg!, {
      from: 'sip:bob@ims.lab',
      to: CONFERENCE_URI,
      messageId: 'm-1',
      text: 'Hello team',
    });
    await TestPf.sendChat(leg!, {
      from: 'sip:bob@ims.lab',
      to: CONFERENCE_URI,
      messageId: 'm-1',
      text: 'Hello team',
    });
    await TestPf.sendChat(leg!, {
      from: 'sip:carol@ims.lab',
      to: CONFERENCE_URI,
      messageId: 'm-2',
      text: 'hi',
      requests: [],
    });
    expect(messages).toEqual(['Hello team', 'hi']);
    expect(
      alice
        .messages('team')
        .slice(0, 2)
        .map((m) => [m.messageId, m.arrivedOn]),
    ).toEqual([
      ['m-1', 'deferred'],
      ['m-2', 'deferred'],
    ]);

    // D1.ii: SIP MESSAGE, R-URI and To = the original sender, CPIM From = the user, the group's IDs.
    const message = await imdn;
    expect(message.to.uri).toEqual(expect.objectContaining({ user: 'bob' }));
    expect(message.get('conversation-id')).toBe(CONV_ID);
    expect(message.get('contribution-id')).toBe(CONTRIB_ID);
    const cpim = parseCpim(message.body);
    expect(cpimFrom(cpim)?.uri).toBe('sip:alice@ims.lab');
    expect(cpimTo(cpim).map((a) => a.uri)).toEqual(['sip:bob@ims.lab']);
    expect(readImdnCpim(cpim)).toMatchObject({ messageId: 'm-1', notification: { kind: 'delivery' } });
    // The CPM feature tag in Accept-Contact as well as P-Preferred-Service.
    expect(message.get('accept-contact')).toContain('urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg');
    expect(message.get('p-preferred-service')).toBe('urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg');
    // Only one IMDN for the duplicate, none for a message that asked for none; nothing on the MSRP leg.
    expect(lab.pf.requests.filter((r) => r.method === 'MESSAGE')).toHaveLength(1);
    expect(leg!.received).toEqual([]);

    // RFC 5438 §4: a message with IMDN-Record-Route: the IMDN goes to the top route (here the conference URI,
    // an intermediary that asked to see it), IMDN-Route in the CPIM, CPIM To still the original sender.
    const routedImdn = lab.pf.waitFor('MESSAGE', (r) => r.uri === CONFERENCE_URI);
    await TestPf.sendChat(leg!, {
      from: 'sip:bob@ims.lab',
      to: CONFERENCE_URI,
      messageId: 'm-3',
      text: 'routed',
      recordRoute: [CONFERENCE_URI],
    });
    const routedCpim = parseCpim((await routedImdn).body);
    expect(routedCpim.headers.find((h) => h.name === 'imdn.IMDN-Route')?.value).toBe(`<${CONFERENCE_URI}>`);
    expect(cpimTo(routedCpim).map((a) => a.uri)).toEqual(['sip:bob@ims.lab']);

    // The PF ends the deferred session; no SUBSCRIBE was ever sent (D1.vi), no re-join with nothing to send (R3).
    const ended = nextEvent(alice, 'session-ended');
    await leg!.session.bye();
    expect((await ended)[0]).toMatchObject({ kind: 'deferred', reason: 'remote-bye' });
    expect(lab.pf.requests.filter((r) => r.method === 'SUBSCRIBE')).toEqual([]);
    expect(lab.pf.joins).toEqual([]);
  });

  it('D1.viii: a reply typed during the deferred session is queued and goes out on a new session only after the BYE', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const { leg } = await lab.pf.invite('alice', GROUP);
    await leg!.bound;
    await TestPf.sendChat(leg!, {
      from: 'sip:bob@ims.lab',
      to: CONFERENCE_URI,
      messageId: 'm-1',
      text: 'Hello',
    });
    // The deferred session is receive-only: the reply is queued, nothing goes out on it.
    expect(alice.send('team', 'my reply')).toMatchObject({ queued: true, groupKey: CONV_ID });
    expect(alice.state().outbox.groups[CONV_ID]).toMatchObject({ deferred: true, phase: 'idle' });
    expect(lab.pf.joins).toEqual([]);
    const sent = nextEvent(alice, 'sent');
    await leg!.session.bye();
    const { request, leg: join } = await lab.pf.waitForJoin();
    // protocol-notes §7 re-join: conference URI, the group's IDs, cpm.session, a=sendrecv, the client connects.
    expect(request.uri).toBe(CONFERENCE_URI);
    expect(request.get('conversation-id')).toBe(CONV_ID);
    expect(request.get('contribution-id')).toBe(CONTRIB_ID);
    expect(request.get('accept-contact')).toContain('urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session');
    expect(request.get('p-preferred-service')).toBe('urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session');
    expect(request.has('require')).toBe(false);
    const offer = sdpOf(request.body);
    expect(offer).toMatchObject({ direction: 'sendrecv', setup: 'active' });
    await join.bound;
    const chat = await join.waitForMessage((m) => m.contentType === 'message/cpim');
    const cpim = parseCpim(chat.body);
    expect(cpim.content.toString()).toBe('my reply');
    expect(cpimFrom(cpim)?.uri).toBe('sip:alice@ims.lab');
    expect(cpimTo(cpim)[0]?.uri).toBe(CONFERENCE_URI);
    expect((await sent)[0]).toMatchObject({
      groupKey: CONV_ID,
      text: 'my reply',
      messageId: imdnMessageId(cpim),
    });
    // A2.i: the re-joined session is active and subscribes to the conference state (RFC 4575).
    await lab.pf.waitFor('SUBSCRIBE', (r) => r.uri === CONFERENCE_URI);
  });

  it('D1.viii: with a PF that invites 3 s after registration, the re-join still follows the deferred BYE (invitationGraceMs 4000)', async () => {
    const { lab, alice } = await setup('accept', { invitationGraceMs: 4000 });
    expect(alice.send('team', 'written offline')).toMatchObject({ queued: true });
    const registered = lab.pf.waitFor('REGISTER', (r) => r.get('expires') !== '0');
    await alice.online();
    await registered;
    // A slow application server: the PF's invitation leaves 3 s after the third-party REGISTER.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(lab.pf.joins).toEqual([]);
    const { leg } = await lab.pf.invite('alice', GROUP);
    await leg!.bound;
    await TestPf.sendChat(leg!, {
      from: 'sip:bob@ims.lab',
      to: CONFERENCE_URI,
      messageId: 'late-1',
      text: 'late',
    });
    // Nothing crossed the deferred session: no re-join INVITE has arrived before its BYE.
    expect(lab.pf.arrivals).toEqual([]);
    await leg!.session.bye();
    const { request } = await lab.pf.waitForJoin();
    expect(request.uri).toBe(CONFERENCE_URI);
    expect(lab.pf.arrivals).toEqual([request]);
  });

  it("D1.viii: a re-join that crosses the PF's deferred INVITE (PF answers 486) is sent again only after that session's BYE", async () => {
    const { lab, alice } = await setup('accept', { invitationGraceMs: 0 });
    expect(alice.send('team', 'crossing')).toMatchObject({ queued: true });
    let deferred: ReturnType<TestPf['invite']> | undefined;
    let attempts = 0;
    lab.pf.joinStatus = () => {
      attempts += 1;
      if (attempts > 1) return 200;
      // The PF's deferred INVITE is already on its way when alice's re-join arrives.
      deferred = lab.pf.invite('alice', GROUP);
      return 486;
    };
    await alice.online();
    const rejected = await lab.pf.waitFor('INVITE', (r) => r.uri === CONFERENCE_URI);
    expect(rejected).toBeDefined();
    await lab.pf.waitFor('INVITE', () => deferred !== undefined);
    const { status, leg } = await deferred!;
    expect(status).toBe(200);
    await leg!.bound;
    expect(lab.pf.joins).toEqual([]);
    expect(alice.state().outbox.groups[CONV_ID]).toMatchObject({ deferred: true, phase: 'idle' });
    const sent = nextEvent(alice, 'sent');
    await leg!.session.bye();
    const { leg: join } = await lab.pf.waitForJoin();
    await join.bound;
    expect((await sent)[0]).toMatchObject({ text: 'crossing' });
    expect(attempts).toBe(2);
  });

  it('nothing waits for a REGISTER refresh: after a failed re-join (503 at the PF) the client retries on its own and the message goes out', async () => {
    const { lab, alice } = await setup('accept', { invitationGraceMs: 0, rejoinRetryBaseMs: 50 });
    let attempts = 0;
    lab.pf.joinStatus = () => (++attempts === 1 ? 503 : 200);
    await alice.online();
    await lab.pf.waitFor('REGISTER', (r) => r.get('expires') !== '0');
    const registers = lab.pf.requests.filter((r) => r.method === 'REGISTER').length;
    const sent = nextEvent(alice, 'sent');
    const failed = nextEvent(alice, 'rejoin', (info) => info.outcome === 'failed');
    alice.send('team', 'after a retry');
    // RFC 3261 §16.7: the CSCF (a proxy) turns the PF's 503 into 500.
    expect((await failed)[0]).toMatchObject({ status: 500 });
    const { leg } = await lab.pf.waitForJoin();
    await leg.bound;
    expect((await sent)[0]).toMatchObject({ text: 'after a retry' });
    expect(attempts).toBe(2);
    expect(lab.pf.requests.filter((r) => r.method === 'REGISTER')).toHaveLength(registers);
  });

  it('POST /online while online re-registers at once (a user-visible nudge: the PF hears a REGISTER)', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    await lab.pf.waitFor('REGISTER', (r) => r.get('expires') !== '0');
    const before = lab.pf.requests.filter((r) => r.method === 'REGISTER').length;
    expect((await alice.online()).state).toBe('online');
    await lab.pf.waitFor(
      'REGISTER',
      () => lab.pf.requests.filter((r) => r.method === 'REGISTER').length > before,
    );
    expect(lab.pf.requests.filter((r) => r.method === 'REGISTER').length).toBe(before + 1);
  });

  it('R3: registering with an empty outbox starts no re-join; a message written offline re-joins after registration', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    await alice.offline('deregister');
    // The de-registration reached the PF after the registration did: a re-join would have come before it.
    await lab.pf.waitFor('REGISTER', (r) => r.get('expires') === '0');
    expect(lab.pf.requests.filter((r) => r.method === 'INVITE')).toEqual([]);
    expect(alice.send('team', 'written offline').queued).toBe(true);
    expect(lab.pf.joins).toEqual([]);
    const rejoin = nextEvent(alice, 'rejoin');
    await alice.online();
    expect((await rejoin)[0]).toMatchObject({ kind: 'rejoin', outcome: 'ok', clause: 'R3' });
    const { leg } = await lab.pf.waitForJoin();
    const chat = await leg.waitForMessage(() => true);
    expect(parseCpim(chat.body).content.toString()).toBe('written offline');
  });

  it('R3: going offline with a message not yet acknowledged sends BYE and REGISTER Expires: 0 only (no re-join in between); the message goes out after the next registration', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const rejoined = nextEvent(alice, 'rejoin');
    expect(alice.send('team', 'first').queued).toBe(true);
    await rejoined;
    const { leg } = await lab.pf.waitForJoin();
    await leg.waitForMessage((m) => parseCpim(m.body).content.toString() === 'first');
    // The PF holds the 200 to the next chat message (RFC 4975 §7.3: it has not taken responsibility yet).
    let held!: () => void;
    const arrived = new Promise<void>((resolve) => {
      leg.msrp.acceptor = () => {
        resolve();
        return new Promise<undefined>((release) => {
          held = () => release(undefined);
        });
      };
    });
    alice.send('team', 'in flight');
    await arrived;
    await alice.offline('deregister');
    await lab.pf.waitFor('REGISTER', (r) => r.get('expires') === '0');
    held();
    const invites = lab.pf.requests.filter((r) => r.method === 'INVITE');
    expect(invites, 'only the first re-join: none between the BYE and the de-registration').toHaveLength(1);
    const again = nextEvent(alice, 'rejoin');
    await alice.online();
    expect((await again)[0]).toMatchObject({ kind: 'rejoin', outcome: 'ok', clause: 'R3' });
    await vi.waitFor(() => expect(lab.pf.joins).toHaveLength(2));
    // The unacknowledged message is sent again on the next session.
    await lab.pf.joins[1]!.leg.waitForMessage((m) => parseCpim(m.body).content.toString() === 'in flight');
  });

  it('R3 / protocol-notes §7: a re-join answered 404 restarts through the factory with the same IDs and the participants', async () => {
    const { lab, alice } = await setup();
    lab.pf.joinStatus = (req) => (req.uri === CONFERENCE_URI ? 404 : 200);
    alice.send('team', 'hello?');
    const restarted = nextEvent(alice, 'rejoin', (i) => i.kind === 'restart');
    await alice.online();
    expect((await restarted)[0]).toMatchObject({ outcome: 'ok' });
    const { request, leg } = await lab.pf.waitForJoin();
    expect(request.uri).toBe('sip:conference-factory@ims.lab');
    expect(request.get('require')).toBe('recipient-list-invite');
    expect(request.get('conversation-id')).toBe(CONV_ID);
    expect(request.get('contribution-id')).toBe(CONTRIB_ID);
    const parts = parseMultipart(request.body, request.contentType!);
    const list = parts.find(
      (p) => getHeader(p.headers, 'Content-Type') === 'application/resource-lists+xml',
    )!;
    expect(getHeader(list.headers, 'Content-Disposition')).toBe('recipient-list');
    expect(allEntries(parseResourceLists(list.body)).map((e) => e.uri)).toEqual(['sip:bob@ims.lab']);
    const chat = await leg.waitForMessage(() => true);
    expect(parseCpim(chat.body).content.toString()).toBe('hello?');
    // The conference URI from the 2xx Contact;isfocus replaces the old one.
    expect(alice.groups()[0]!.conferenceUri).toBe('sip:group-new@ims.lab');
  });

  it('A2.a / A2.i: a reconnect INVITE (cpm.session, sendrecv) → sendrecv answer; messages in, IMDN and new messages out on MSRP; SUBSCRIBE', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const { status, leg } = await lab.pf.invite('alice', GROUP, { service: 'session' });
    expect(status).toBe(200);
    expect(leg!.remote).toMatchObject({ direction: 'sendrecv', setup: 'active' });
    await leg!.bound;
    // A2.i: the group session is active; conference state is subscribed.
    const sub = await lab.pf.waitFor('SUBSCRIBE');
    expect(sub.get('event')).toBe('conference');
    expect(alice.groups()[0]!.sessionState).toBe('active');
    await TestPf.sendChat(leg!, {
      from: 'sip:bob@ims.lab',
      to: CONFERENCE_URI,
      messageId: 'm-9',
      text: 'live',
    });
    // A2.i.2: the delivery notification goes back on the same MSRP session.
    const imdn = await leg!.waitForMessage((m) => readImdnCpimSafe(m.body) !== undefined);
    expect(readImdnCpimSafe(imdn.body)).toMatchObject({ messageId: 'm-9' });
    expect(alice.messages()[0]).toMatchObject({ arrivedOn: 'active' });
    // A2.i.3: a new message goes out on it at once.
    expect(alice.send('team', 'reply live').queued).toBe(false);
    const chat = await leg!.waitForMessage((m) => parseCpim(m.body).content.toString() === 'reply live');
    expect(chat).toBeDefined();
    expect(lab.pf.requests.filter((r) => r.method === 'MESSAGE')).toEqual([]);
    expect(lab.pf.joins).toEqual([]);
  });
});

describe('CpmClient group creation', () => {
  it('protocol-notes §7: INVITE to the factory with SDP + resource-lists, Require: recipient-list-invite, IDs and Subject', async () => {
    const { lab, alice } = await setup();
    await alice.online();
    const group = await alice.createGroup({ subject: 'Weekend', participants: ['bob', 'sip:carol@ims.lab'] });
    const { request } = await lab.pf.waitForJoin();
    expect(request.uri).toBe('sip:conference-factory@ims.lab');
    expect(request.get('require')).toBe('recipient-list-invite');
    expect(request.get('subject')).toBe('Weekend');
    expect(request.get('conversation-id')).toBe(group.conversationId);
    expect(request.get('contribution-id')).toBe(group.contributionId);
    expect(request.mediaType).toBe('multipart/mixed');
    expect(group).toMatchObject({
      conferenceUri: 'sip:group-new@ims.lab',
      subject: 'Weekend',
      sessionState: 'active',
    });
    expect(alice.resolveGroup('weekend').key).toBe(group.key);
  });
});

function readImdnCpimSafe(body: Buffer) {
  try {
    return readImdnCpim(parseCpim(body));
  } catch {
    return undefined;
  }
}
