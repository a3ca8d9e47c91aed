// The PF node over real sockets: clients (UserAgent + MsrpEndpoint) register through the real CSCF, which routes
// conference URIs to the PF and tells it about registrations (protocol-notes §3). Test names cite the clause
// (docs/clauses.md) or protocol-notes section.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildMultipart,
  buildResourceLists,
  parseConferenceInfo,
  parseGroupState,
  recipientList,
} from '../../protocol/bodies/index.js';
import { createCpim, serializeCpim } from '../../protocol/cpim/index.js';
import {
  ICSI_CPM_DEFERRED,
  ICSI_CPM_SESSION,
  newContributionId,
  newConversationId,
} from '../../protocol/cpm/index.js';
import { IMDN_NS_DECLARATION, imdnHeaders } from '../../protocol/imdn/index.js';
import type { MsrpMessage } from '../../protocol/msrp/index.js';
import { parseMsrpSdp } from '../../protocol/sdp/index.js';
import {
  formatUri,
  parseMessage,
  type SipRequest,
  SipRequestError,
  type SipResponse,
  SipStreamParser,
} from '../../protocol/sip/index.js';
import type { NodeEvent } from '../../runtime/index.js';
import { aorKey, createGroup, type Group } from './domain/index.js';
import { assertedIdentity, type PfNode, type PfOptions } from './pf.js';
import {
  BuiltInSignalling,
  type PfInviteResponse,
  type PfSignalling,
  type RequestHandler,
} from './signalling.js';
import { openStores } from './store/index.js';
import { Lab, testSipEngine } from './test-support/lab.js';
import { readChat, type TestClient } from './test-support/test-client.js';

const ALICE = 'sip:alice@ims.lab';
const BOB = 'sip:bob@ims.lab';
const CAROL = 'sip:carol@ims.lab';
const DEFERRED_AC =
  '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred";require;explicit';
const SESSION_AC =
  '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session";require;explicit';

const labs: Lab[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const lab of labs.splice(0)) await lab.close();
});

async function lab(options: Parameters<typeof Lab.start>[0] = {}): Promise<Lab> {
  const l = await Lab.start(options);
  labs.push(l);
  return l;
}

const team = (pf: PfNode): Group => pf.stores.groups.get('team')!;
const ids = (g: Group): Array<[string, string]> => [
  ['Conversation-ID', g.conversationId],
  ['Contribution-ID', g.contributionId],
];
const forUser = (user: string) => (d: Record<string, unknown>) => d.user === user || d.recipient === user;

/** protocol-notes §7 re-join/restart: `client` INVITEs the team's conference URI with the group's IDs. */
async function rejoin(l: Lab, client: TestClient) {
  const g = team(l.pf!);
  return client.invite(g.conferenceUri, { headers: ids(g) });
}

/** bob and carol registered and in the team's live session. */
async function liveSession(l: Lab) {
  const [bob, carol] = [await l.client('bob'), await l.client('carol')];
  await bob.register();
  await carol.register();
  const bobSession = await rejoin(l, bob);
  const carolSession = await carol.waitSession(1);
  await l.waitEvent('participant-live', forUser(CAROL));
  return { bob, carol, bobSession, carolSession };
}

/** Stored items for `user` written straight into the PF's store (CPIM from bob), for the outcome tests. */
function seed(pf: PfNode, user: string, texts: string[]): string[] {
  return texts.map((text, i) => {
    const messageId = `seed${i}${Math.random().toString(16).slice(2, 10)}`;
    const cpim = createCpim({
      from: { uri: BOB },
      to: { uri: team(pf).conferenceUri },
      namespaces: [IMDN_NS_DECLARATION],
      headers: imdnHeaders(messageId),
      dateTime: new Date(),
      contentType: 'text/plain;charset=utf-8',
      content: Buffer.from(text),
    });
    pf.stores.deferred.enqueue({
      recipient: user,
      groupId: 'team',
      kind: 'message',
      messageId,
      sender: BOB,
      contentType: 'message/cpim',
      body: serializeCpim(cpim),
    });
    return messageId;
  });
}

/** A CSCF, group "team" (alice, bob, carol) in a fresh store, and the PF on it as a child process. */
async function teamWithChildPf() {
  const l = await Lab.cscfOnly();
  labs.push(l);
  const setup = openStores({ path: l.storePath });
  const g = setup.groups.create(
    createGroup({
      id: 'team',
      creator: { uri: ALICE },
      participants: [{ uri: BOB }, { uri: CAROL }],
      subject: 'Team chat',
      now: Date.now(),
    }),
  );
  setup.db.close();
  return { l, g, ...(await spawnPf(l)) };
}

/** The PF as a child process on the lab's store (so that it can be SIGKILLed), routed to by the CSCF. */
async function spawnPf(l: Lab): Promise<{ child: ChildProcess; exited: Promise<NodeJS.Signals | null> }> {
  const hooks = fileURLToPath(new URL('./store/test-support/register-ts.mjs', import.meta.url));
  const script = fileURLToPath(new URL('./test-support/run-pf.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', hooks, script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CPM_LAB_PF_STORE: l.storePath,
      CPM_LAB_PF_SIP_PORT: '0',
      CPM_LAB_PF_MSRP_PORT: '0',
      CPM_LAB_PF_CSCF: `127.0.0.1:${l.cscfPort}`,
      CPM_LAB_PF_GROUPS: 'none',
      CPM_LAB_PF_MSRP_TIMEOUT: '2000',
      CPM_LAB_SIP_T1: '50',
    },
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve(line.slice(6));
      else if (line.startsWith('event ')) l.record(JSON.parse(line.slice(6)) as NodeEvent);
    });
    void exited.then(() => reject(new Error(`PF child exited: ${stderr}`)));
  });
  l.routeToPf(await ready);
  return { child, exited };
}

const texts = (messages: MsrpMessage[]) =>
  messages.filter((m) => m.contentType === 'message/cpim').map((m) => readChat(m).text);

/**
 * The next session the client accepts answers its first `n` MSRP messages and holds the 200 of every later one
 * (the PF pipelines a backlog, RFC 4975 §7.1): a connection cut then is cut mid-backlog, with messages
 * unacknowledged.
 */
function holdAfter(client: TestClient, n: number): void {
  client.onAccept = (session) => {
    client.onAccept = undefined;
    let answered = 0;
    session.msrp!.acceptor = () => (++answered <= n ? undefined : new Promise<undefined>(() => {}));
  };
}

describe('deferred delivery, inactive group session (clause PF; D1.i, D1.iii, D1.vii; protocol-notes §4)', () => {
  it('clause PF / protocol-notes §4: messages stored while offline; on registration an INVITE with cpm.deferred, a=sendonly, both IDs and isfocus; group state object first; every message in order; BYE after the backlog', async () => {
    const l = await lab();
    const pf = l.pf!;
    const g = team(pf);
    const bob = await l.client('bob');
    await bob.register();
    const session = await rejoin(l, bob);
    await l.waitEvent('session-started');
    const sent = ['one', 'two', 'three'];
    for (const t of sent) await bob.say(session, t, g.conferenceUri);
    await l.waitEvent('message-stored', forUser(ALICE), 3);
    await session.sip!.bye();
    await l.waitEvent('session-ended', (d) => d.reason === 'empty');
    expect(pf.sessionState('team')).toBe('inactive');
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(3);

    const alice = await l.client('alice');
    await alice.register();
    const invite = await alice.waitSession(1);
    const req = invite.request;
    expect(aorKey(formatUri(req.from.uri))).toBe(g.conferenceUri);
    expect(req.fromTag).toBeTruthy();
    expect(aorKey(formatUri(req.to.uri))).toBe(ALICE);
    expect(req.get('contact')).toBe(`<${g.conferenceUri}>;isfocus`);
    expect(req.get('accept-contact')).toBe(DEFERRED_AC);
    expect(req.get('p-asserted-service')).toBe(ICSI_CPM_DEFERRED);
    expect(req.get('conversation-id')).toBe(g.conversationId);
    expect(req.get('contribution-id')).toBe(g.contributionId);
    expect(req.get('subject')).toBe('Team chat');
    expect(req.has('referred-by')).toBe(false);
    const offer = parseMsrpSdp(req.body);
    expect(offer).toMatchObject({
      direction: 'sendonly',
      setup: 'actpass',
      acceptTypes: ['message/cpim', 'application/group-state-object+xml'],
      acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
    });
    // protocol-notes §4: the PF's Request-URI is the user's AoR (the CSCF retargets it to the contact).
    const sentInvite = pf.recorder
      .query({ limit: 1000 })
      .records.find((r) => r.direction === 'out' && r.startLine.startsWith('INVITE '));
    expect(sentInvite?.startLine).toBe(`INVITE ${ALICE} SIP/2.0`);

    const messages = await alice.waitMessages(invite, 4);
    expect(messages[0]!.contentType).toBe('application/group-state-object+xml');
    const state = parseGroupState(messages[0]!.body);
    expect(state.participants.map((p) => p.commAddr)).toEqual([ALICE, BOB, CAROL]);
    expect(messages.slice(1).map((m) => readChat(m))).toEqual(
      sent.map((text) => expect.objectContaining({ text, from: BOB })),
    );
    const bye = await alice.waitBye(invite);
    expect(bye.has('reason')).toBe(false);
    await l.waitEvent('delivery-finished', forUser(ALICE));
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
    expect(pf.stores.deferred.deliveryRecord(ALICE, 'team')).toBeUndefined();
  });
});

describe('the signalling port (another SIP engine plugs in without touching the roles)', () => {
  it('the PF runs on any PfSignalling: a deferred delivery and a re-join go through an engine given in PfOptions', async () => {
    const seen: string[] = [];
    // An engine of its own: it wraps the built-in one and sees every request the roles receive and send.
    const engine: PfOptions['signalling'] = async (options) => {
      const inner = await BuiltInSignalling.listen(options);
      const wrap =
        <R>(method: string, on: (h: RequestHandler<R>) => void) =>
        (handler: RequestHandler<R>) =>
          on((req, res) => {
            seen.push(`in ${method}`);
            return handler(req, res);
          });
      return delegating(inner, {
        onRegister: wrap('REGISTER', (h) => inner.onRegister(h)),
        onInvite: wrap('INVITE', (h) => inner.onInvite(h)),
        onSubscribe: wrap('SUBSCRIBE', (h) => inner.onSubscribe(h)),
        onMessage: wrap('MESSAGE', (h) => inner.onMessage(h)),
        invite: (target, request) => {
          seen.push('out INVITE');
          return inner.invite(target, request);
        },
        message: (target, body, request) => {
          seen.push('out MESSAGE');
          return inner.message(target, body, request);
        },
      });
    };
    const l = await lab({ signalling: engine });
    const pf = l.pf!;
    seed(pf, ALICE, ['through the port']);
    const alice = await l.client('alice');
    await alice.register();
    const invite = await alice.waitSession(1);
    expect(texts(await alice.waitMessages(invite, 2))).toEqual(['through the port']);
    await alice.waitBye(invite);
    const bob = await l.client('bob');
    await bob.register();
    await rejoin(l, bob);
    await l.waitEvent('participant-live', forUser(BOB));
    expect(seen).toEqual(expect.arrayContaining(['in REGISTER', 'out INVITE', 'in INVITE']));
  });
});

/** A PfSignalling that is `inner` except for `overrides` (a SIP engine of its own, for the port's tests). */
function delegating(inner: PfSignalling, overrides: Partial<PfSignalling>): PfSignalling {
  return {
    get sipUri() {
      return inner.sipUri;
    },
    get addresses() {
      return inner.addresses;
    },
    engine: 'a wrapping engine',
    onRegister: (h) => inner.onRegister(h),
    onInvite: (h) => inner.onInvite(h),
    onSubscribe: (h) => inner.onSubscribe(h),
    onMessage: (h) => inner.onMessage(h),
    invite: (target, request) => inner.invite(target, request),
    message: (target, body, request) => inner.message(target, body, request),
    close: () => inner.close(),
    ...overrides,
  };
}

/** The built-in engine, except that accept() returns `ms` after the 2xx went out (as drachtio-server's does). */
function lateConfirmingEngine(ms: number): PfOptions['signalling'] {
  return async (options) => {
    const inner = await BuiltInSignalling.listen(options);
    return delegating(inner, {
      onInvite: (handler: RequestHandler<PfInviteResponse>) =>
        inner.onInvite((req, res) =>
          handler(req, {
            source: res.source,
            send: (status, o) => res.send(status, o),
            reject: (status, o) => res.reject(status, o),
            accept: async (o) => {
              const dialog = await res.accept(o);
              await new Promise((resolve) => setTimeout(resolve, ms));
              return dialog;
            },
          }),
        ),
    });
  };
}

describe('an engine that confirms the 2xx late (as drachtio-server does, over its own connection)', () => {
  it('RFC 4975 §7.3: a message the joining client sends before accept() returns is held, then relayed (not answered 200 and lost)', async () => {
    // accept() returns 300 ms after the 2xx went out; the client has the 2xx, ACKs, connects and sends meanwhile.
    const engine = lateConfirmingEngine(300);
    const l = await lab({ signalling: engine });
    const g = team(l.pf!);
    const [bob, carol] = [await l.client('bob'), await l.client('carol')];
    await bob.register();
    await carol.register();
    const session = await rejoin(l, bob);
    await bob.say(session, 'straight away', g.conferenceUri);
    const carolSession = await carol.waitSession(1);
    expect(texts(await carol.waitMessages(carolSession, 1))).toEqual(['straight away']);
  });

  it('RFC 3326: a leg accepted while its session is being deleted gets the same BYE as the others (Reason 410 Gone)', async () => {
    const l = await lab({ signalling: lateConfirmingEngine(300) });
    const bob = await l.client('bob');
    await bob.register();
    const session = await rejoin(l, bob);
    // The PF has sent its 2xx but its engine has not confirmed it: the session ends before the leg joins.
    expect((await fetch(`${l.pf!.controlUrl}/groups/team`, { method: 'DELETE' })).status).toBe(200);
    expect((await bob.waitBye(session)).get('reason')).toBe('SIP;cause=410;text="Gone"');
  });
});

describe('MSRP connection setup (RFC 4145 §4.1, RFC 6135 §4.2, RFC 4975 §5.4)', () => {
  it("RFC 4145 §4.1: to the PF's a=setup:actpass a client answers a=setup:passive; the PF connects, binds and delivers", async () => {
    const l = await lab();
    const pf = l.pf!;
    seed(pf, ALICE, ['p1', 'p2']);
    const alice = await l.client('alice');
    alice.answerSetup = 'passive';
    await alice.register();
    const invite = await alice.waitSession(1);
    expect(parseMsrpSdp(invite.request.body).setup).toBe('actpass');
    const messages = await alice.waitMessages(invite, 3);
    expect(messages[0]!.contentType).toBe('application/group-state-object+xml');
    expect(texts(messages)).toEqual(['p1', 'p2']);
    // The PF opened the connection: it arrived on alice's MSRP listener.
    expect(invite.msrp!.connection?.local.port).toBe(alice.msrp.port);
    await alice.waitBye(invite);
    await l.waitEvent('delivery-finished', forUser(ALICE));
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
  });
});

describe('reconnection to an active group session (clause PF; A2.a, A2.i; protocol-notes §4, §7)', () => {
  it('A2.i: a user registering while others are in the session gets cpm.session + a=sendrecv; backlog first, then live messages, on one session', async () => {
    const l = await lab();
    const pf = l.pf!;
    const g = team(pf);
    const [bob, carol] = [await l.client('bob'), await l.client('carol')];
    await bob.register();
    await carol.register();
    const bobSession = await rejoin(l, bob);
    // protocol-notes §7: the restart invites the other registered participant (sendrecv, cpm.session).
    const carolSession = await carol.waitSession(1);
    expect(carolSession.request.get('accept-contact')).toBe(SESSION_AC);
    expect(parseMsrpSdp(carolSession.request.body).direction).toBe('sendrecv');
    await l.waitEvent('session-invite-accepted', forUser(CAROL));

    await bob.say(bobSession, 'm1', g.conferenceUri);
    await bob.say(bobSession, 'm2', g.conferenceUri);
    await l.waitEvent('message-stored', forUser(ALICE), 2);

    const alice = await l.client('alice');
    await alice.register();
    const invite = await alice.waitSession(1);
    expect(invite.request.get('accept-contact')).toBe(SESSION_AC);
    expect(invite.request.get('p-asserted-service')).toBe(ICSI_CPM_SESSION);
    expect(parseMsrpSdp(invite.request.body)).toMatchObject({ direction: 'sendrecv', setup: 'actpass' });
    await alice.waitMessages(invite, 2);
    await l.waitEvent('delivery-finished', forUser(ALICE));
    await bob.say(bobSession, 'm3', g.conferenceUri);
    const all = await alice.waitMessages(invite, 3);
    expect(texts(all)).toEqual(['m1', 'm2', 'm3']);
    expect(alice.sessions).toHaveLength(1);
    expect(invite.bye).toBeUndefined();
    expect(pf.state().groups[0]!.connected).toEqual([ALICE, BOB, CAROL]);

    // A2.i: the same session carries the user's new messages out, to everyone else.
    await alice.say(invite, 'hello from alice', g.conferenceUri);
    const bobGot = await bob.waitMessages(bobSession, 1);
    expect(readChat(bobGot[0]!)).toMatchObject({ text: 'hello from alice', from: ALICE });
    expect(texts(await carol.waitMessages(carolSession, 4))).toEqual(['m1', 'm2', 'm3', 'hello from alice']);
  });
});

describe('reconnection without a backlog, delivery without waiting for a REGISTER (clause PF; protocol profile §4)', () => {
  it('clause PF: a member returning while the session is active is invited with cpm.session + a=sendrecv even with nothing stored; a refresh does not invite again', async () => {
    const l = await lab();
    const pf = l.pf!;
    const g = team(pf);
    const { bob, bobSession } = await liveSession(l);
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);

    const alice = await l.client('alice');
    await alice.register();
    const invite = await alice.waitSession(1);
    expect(invite.request.get('accept-contact')).toBe(SESSION_AC);
    expect(invite.request.get('p-asserted-service')).toBe(ICSI_CPM_SESSION);
    expect(parseMsrpSdp(invite.request.body).direction).toBe('sendrecv');
    await l.waitEvent('participant-live', forUser(ALICE));
    expect(pf.state().groups[0]!.connected).toEqual([ALICE, BOB, CAROL]);
    // Live traffic reaches alice on that session.
    await bob.say(bobSession, 'live', g.conferenceUri);
    expect(texts(await alice.waitMessages(invite, 1))).toEqual(['live']);

    // alice leaves the session but stays registered; a refresh of her registration is not a return: no
    // invitation with nothing stored.
    await invite.sip!.bye();
    await l.waitEvent('participant-left', forUser(ALICE));
    const registrations = l.events.filter((e) => e.type === 'registration').length;
    await alice.register();
    await l.waitEvent('registration', () => true, registrations + 1);
    expect(
      l.events.filter(
        (e) => e.type === 'delivery-started' && forUser(ALICE)(e.data as Record<string, unknown>),
      ),
    ).toHaveLength(1);
    expect(alice.sessions).toHaveLength(1);
    expect(pf.state().groups[0]!.connected).toEqual([BOB, CAROL]);
  });

  it('clause PF: a message stored for a member who is registered but not in the session starts a delivery at once, with no REGISTER', async () => {
    const l = await lab();
    const pf = l.pf!;
    const g = team(pf);
    const { bobSession, bob } = await liveSession(l);
    const alice = await l.client('alice');
    await alice.register();
    const first = await alice.waitSession(1);
    await l.waitEvent('participant-live', forUser(ALICE));
    // alice leaves the session (BYE) but stays registered.
    await first.sip!.bye();
    await l.waitEvent('participant-left', forUser(ALICE));
    const registrations = l.events.filter((e) => e.type === 'registration').length;

    await bob.say(bobSession, 'while you were out', g.conferenceUri);
    const second = await alice.waitSession(2);
    expect(second.request.get('accept-contact')).toBe(SESSION_AC);
    expect(texts(await alice.waitMessages(second, 1))).toEqual(['while you were out']);
    await l.waitEvent('delivery-finished', forUser(ALICE), 2);
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
    expect(l.events.filter((e) => e.type === 'registration')).toHaveLength(registrations);
  });

  it('nothing acknowledged and dropped: the session ends while a reconnect INVITE is in flight; what the client sends on its sendrecv leg is stored for the others and delivered', async () => {
    const l = await lab();
    const pf = l.pf!;
    const g = team(pf);
    const { bob } = await liveSession(l);
    seed(pf, ALICE, ['stored for alice']);
    const alice = await l.client('alice');
    // The session ends between the PF's INVITE and alice's 200.
    alice.policy = () => {
      pf.endSession('team');
      return 200;
    };
    let sent: Promise<string> | undefined;
    alice.onAccept = (session) => {
      // Hold the 200 to the PF's first SEND until alice's own chat message went out on the sendrecv leg.
      session.msrp!.acceptor = async () => {
        sent ??= alice.say(session, 'typed into a dying session', g.conferenceUri);
        await sent;
        return undefined;
      };
    };
    await alice.register();
    const leg = await alice.waitSession(1);
    expect(parseMsrpSdp(leg.request.body).direction).toBe('sendrecv');
    await alice.waitBye(leg);
    expect(sent).toBeDefined();
    const messageId = await sent!;
    // Stored for carol and bob (both registered, not connected): each gets it in a new delivery.
    await l.waitEvent('message-stored', (d) => d.recipient === CAROL && d.messageId === messageId);
    const bobDelivery = await bob.waitSession(2);
    const got = await bob.waitMessages(bobDelivery, 2);
    expect(texts(got)).toContain('typed into a dying session');
    expect(l.events.some((e) => e.type === 'message-ignored')).toBe(false);
  });
});

describe('re-join crossing a deferred delivery (D1.viii)', () => {
  it("D1.viii: a re-join INVITE that crosses the PF's deferred INVITE gets 486; the backlog goes out once, on the deferred session; the re-join after the BYE is taken", async () => {
    const l = await lab();
    const pf = l.pf!;
    seed(pf, ALICE, ['once']);
    const alice = await l.client('alice');
    let crossing: Promise<unknown> | undefined;
    alice.policy = () => {
      // alice's re-join leaves before she answers the PF's deferred INVITE.
      crossing ??= rejoin(l, alice).then(
        () => 'accepted',
        (err: { status?: number }) => err.status,
      );
      return 200;
    };
    await alice.register();
    const deferred = await alice.waitSession(1);
    expect(await crossing).toBe(486);
    expect(texts(await alice.waitMessages(deferred, 2))).toEqual(['once']);
    await alice.waitBye(deferred);
    await l.waitEvent('delivery-finished', forUser(ALICE));
    // After the deferred session completed, the re-join is a normal one and nothing is delivered twice.
    alice.policy = () => 200;
    const joined = await rejoin(l, alice);
    await l.waitEvent('participant-live', forUser(ALICE));
    expect(texts(joined.messages)).toEqual([]);
    expect(pf.sessionState('team')).toBe('active');
  });
});

describe('the PF trusts the CSCF only (hardening; protocol profile §3)', () => {
  /** A REGISTER straight to the PF's TCP port, from the local address `host`; resolves with the status. */
  async function thirdPartyRegister(l: Lab, host: string, expires: string): Promise<number> {
    const tcp = l.pf!.sipAddresses.tcp!;
    const socket = connect({ host: tcp.address, port: tcp.port, localAddress: host });
    socket.on('error', () => {});
    await once(socket, 'connect');
    try {
      socket.write(
        [
          'REGISTER sip:pf@ims.lab SIP/2.0',
          `Via: SIP/2.0/TCP ${host}:${socket.localPort};branch=z9hG4bK3p${Math.random().toString(16).slice(2)}`,
          'Max-Forwards: 70',
          'From: <sip:cscf@ims.lab>;tag=c1',
          `To: <${ALICE}>`,
          `Call-ID: 3p-${Math.random()}`,
          'CSeq: 1 REGISTER',
          `Contact: <sip:pf@${tcp.address}:${tcp.port}>`,
          `Expires: ${expires}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
      const parser = new SipStreamParser();
      for (;;) {
        const [chunk] = (await once(socket, 'data')) as [Buffer];
        for (const item of parser.push(chunk)) {
          if (item.kind === 'message' && !item.message.isRequest) return (item.message as SipResponse).status;
        }
      }
    } finally {
      socket.destroy();
    }
  }

  it("a third-party REGISTER from an address that is not the CSCF's is refused (403); the user stays offline", async () => {
    const l = await lab();
    expect(await thirdPartyRegister(l, '127.0.0.2', '600')).toBe(403);
    expect(l.pf!.registrations.isRegistered(ALICE)).toBe(false);
  });

  it('RFC 3261 §10.2.1.1: an unreadable Expires gets 400, not a de-registration', async () => {
    const l = await lab();
    const alice = await l.client('alice');
    await alice.register();
    await l.waitEvent('registration', forUser(ALICE));
    expect(await thirdPartyRegister(l, '127.0.0.1', 'soon')).toBe(400);
    expect(l.pf!.registrations.isRegistered(ALICE)).toBe(true);
  });

  it('RFC 3325 §9.1: the PF takes the inviting user from P-Asserted-Identity, not From', () => {
    const withPai = parseMessage(
      Buffer.from(
        [
          'INVITE sip:group-team@ims.lab SIP/2.0',
          'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKpai',
          'From: <sip:mallory@ims.lab>;tag=1',
          'To: <sip:group-team@ims.lab>',
          'Call-ID: pai-1',
          'CSeq: 1 INVITE',
          'P-Asserted-Identity: <tel:+15551234>, "Alice" <sip:Alice@IMS.lab>',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      ),
    ) as SipRequest;
    expect(assertedIdentity(withPai)).toBe('sip:Alice@ims.lab');
    withPai.remove('p-asserted-identity');
    expect(assertedIdentity(withPai)).toBe('sip:mallory@ims.lab');
  });
});

describe('invitation outcomes (protocol-notes §4; D1.iv, D1.v, A2.ii)', () => {
  it('D1.v.1 (603): the user is removed from the group, its backlog dropped, and the others told (conference-info partial NOTIFY, group state object)', async () => {
    const l = await lab();
    const pf = l.pf!;
    const g = team(pf);
    const bob = await l.client('bob');
    await bob.register();
    const bobSession = await rejoin(l, bob);
    await bob.subscribeConference(g.conferenceUri);
    await bob.signal.until(() => bob.notifies.length >= 1, 'full NOTIFY');
    expect(parseConferenceInfo(bob.notifies[0]!.body).state).toBe('full');
    seed(pf, ALICE, ['a', 'b']);

    const alice = await l.client('alice');
    alice.policy = () => 603;
    await alice.register();
    await l.waitEvent('invitation-outcome', (d) => d.user === ALICE && d.outcome === '603');
    expect(pf.stores.groups.get('team')!.participants.find((p) => p.uri === ALICE)?.status).toBe(
      'removed-declined',
    );
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
    const partial = await bob.signal.until(
      () =>
        bob.notifies
          .map((n) => parseConferenceInfo(n.body))
          .find(
            (info) =>
              info.state === 'partial' &&
              info.users?.some((u) => u.entity === ALICE && u.state === 'deleted'),
          ),
      'partial NOTIFY with alice deleted',
    );
    expect(partial.userCount).toBe(2);
    const stateObject = await bob.signal.until(
      () => bobSession.messages.find((m) => m.contentType === 'application/group-state-object+xml'),
      'group state object',
    );
    expect(parseGroupState(stateObject.body).participants.map((p) => p.commAddr)).toEqual([BOB, CAROL]);
  });

  it('D1.v.2 (480): the messages are kept and delivered at the next registration', async () => {
    const l = await lab();
    const pf = l.pf!;
    seed(pf, ALICE, ['x', 'y']);
    const alice = await l.client('alice');
    alice.policy = () => 480;
    await alice.register();
    await l.waitEvent('invitation-outcome', (d) => d.user === ALICE && d.outcome === '480');
    expect(pf.stores.deferred.deliveryRecord(ALICE, 'team')).toMatchObject({
      status: 'pending',
      lastOutcome: '480',
    });
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(2);

    alice.policy = () => 200;
    await alice.register();
    const second = await alice.waitSession(2);
    expect(texts(await alice.waitMessages(second, 3))).toEqual(['x', 'y']);
    await alice.waitBye(second);
    await l.waitEvent('delivery-finished', forUser(ALICE));
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
  });

  it('D1.iv (481): delivery for that group stops and is recorded (visible in /state); no invitation at the next registration', async () => {
    const l = await lab();
    const pf = l.pf!;
    seed(pf, ALICE, ['x']);
    const alice = await l.client('alice');
    alice.policy = () => 481;
    await alice.register();
    await l.waitEvent('delivery-stopped', forUser(ALICE));
    const state = (await (await fetch(`${pf.controlUrl}/state`)).json()) as ReturnType<PfNode['state']>;
    expect(state.deliveries).toEqual([
      expect.objectContaining({
        recipient: ALICE,
        groupId: 'team',
        status: 'stopped-481',
        lastOutcome: '481',
      }),
    ]);
    expect(state.backlog[0]).toMatchObject({ recipient: ALICE, pending: 1 });

    await alice.register();
    await l.waitEvent('delivery-skipped', (d) => d.user === ALICE && d.reason === 'stopped-481');
    expect(alice.sessions).toHaveLength(1);
  });

  it('protocol-notes §3 (408): an INVITE to an unreachable UE times out; the messages are kept and delivered at the next registration', async () => {
    const l = await lab();
    const pf = l.pf!;
    seed(pf, ALICE, ['p', 'q']);
    const alice = await l.client('alice');
    l.cscf.setReachable('alice', false);
    await alice.register();
    await l.waitEvent('invitation-outcome', (d) => d.user === ALICE && d.outcome === '408');
    expect(pf.stores.deferred.deliveryRecord(ALICE, 'team')).toMatchObject({
      status: 'pending',
      lastOutcome: '408',
    });
    expect(alice.sessions).toHaveLength(0);

    l.cscf.setReachable('alice', true);
    await alice.register();
    const invite = await alice.waitSession(1);
    expect(texts(await alice.waitMessages(invite, 3))).toEqual(['p', 'q']);
    await alice.waitBye(invite);
  });
});

describe('notifications (protocol-notes §6; A2.i, D1.ii)', () => {
  it('RFC 3428 §7 / RFC 3862: a MESSAGE to a conference URI that is not message/cpim gets 415 with Accept: message/cpim; unreadable CPIM gets 400', async () => {
    const l = await lab();
    const g = team(l.pf!);
    const alice = await l.client('alice');
    await alice.register();
    const plain = await alice.ua.message(g.conferenceUri, 'hello', { contentType: 'text/plain' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(plain).toBeInstanceOf(SipRequestError);
    expect((plain as SipRequestError).status).toBe(415);
    expect((plain as SipRequestError).response.get('accept')).toBe('message/cpim');
    const broken = await alice.ua
      .message(g.conferenceUri, 'not CPIM at all', { contentType: 'message/cpim' })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect((broken as SipRequestError).status).toBe(400);
  });

  it('protocol-notes §6: an IMDN goes to the original sender over MSRP when connected, by SIP MESSAGE when registered but not in the session, stored otherwise', async () => {
    const l = await lab();
    const pf = l.pf!;
    const g = team(pf);
    const [alice, bob, carol] = [await l.client('alice'), await l.client('bob'), await l.client('carol')];
    for (const c of [alice, bob, carol]) await c.register();
    const bobSession = await rejoin(l, bob);
    await l.waitEvent('participant-live', forUser(ALICE));
    await l.waitEvent('participant-live', forUser(CAROL));
    const carolSession = await carol.waitSession(1);
    const aliceSession = await alice.waitSession(1);
    const original = await bob.say(bobSession, 'please confirm', g.conferenceUri);
    await carol.waitMessages(carolSession, 1);

    const viaMsrp = await carol.notifyDelivered(carolSession, original, BOB);
    const got = await bob.waitMessages(bobSession, 1);
    expect(readChat(got[0]!)).toMatchObject({ messageId: viaMsrp, from: CAROL });
    expect(aliceSession.messages.filter((m) => m.contentType === 'message/cpim')).toHaveLength(1); // only the chat

    await bobSession.sip!.bye();
    await l.waitEvent('participant-left', forUser(BOB));
    const viaSip = await carol.notifyDelivered(carolSession, original, BOB);
    const pager = await bob.signal.until(() => bob.pagerMessages[0], 'MESSAGE');
    expect(aorKey(formatUri(pager.to.uri))).toBe(BOB);
    expect(aorKey(formatUri(pager.from.uri))).toBe(g.conferenceUri);
    expect(pager.get('conversation-id')).toBe(g.conversationId);
    expect(
      readChat({ body: pager.body, contentType: 'message/cpim', messageId: '', headers: [] }),
    ).toMatchObject({
      messageId: viaSip,
    });

    await bob.unregister();
    await l.waitEvent('registration', (d) => d.user === BOB && d.state === 'offline');
    const stored = await alice.notifyDelivered(aliceSession, original, BOB);
    await l.waitEvent(
      'message-stored',
      (d) => d.recipient === BOB && d.messageId === stored && d.kind === 'imdn',
    );
  });
});

describe('robustness (architecture.md "Rules")', () => {
  it('architecture.md "PF": SIGKILL with a backlog; after a restart the backlog is intact and delivered', async () => {
    const { l, g, child, exited } = await teamWithChildPf();

    const bob = await l.client('bob');
    await bob.register();
    const session = await bob.invite(g.conferenceUri, { headers: ids(g) });
    for (const t of ['p1', 'p2', 'p3']) await bob.say(session, t, g.conferenceUri);
    await l.waitEvent('message-stored', forUser(ALICE), 3);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const pf = await l.startPf({ storePath: l.storePath, groups: 'none' });
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(3);
    const alice = await l.client('alice');
    await alice.register();
    const invite = await alice.waitSession(1);
    expect(invite.request.get('accept-contact')).toBe(DEFERRED_AC);
    expect(texts(await alice.waitMessages(invite, 4))).toEqual(['p1', 'p2', 'p3']);
    await alice.waitBye(invite);
    await l.waitEvent('delivery-finished', forUser(ALICE));
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
  }, 60_000); // the child transpiles the PF from TypeScript at start: slow on a loaded machine

  it("nothing waits for a REGISTER refresh: a PF SIGKILLed and restarted knows who is online and delivers a registered user's backlog with no REGISTER", async () => {
    const { l, g, child, exited } = await teamWithChildPf();
    const alice = await l.client('alice');
    alice.policy = () => 480; // registered, but "not now": the items stay stored
    await alice.register();
    const bob = await l.client('bob');
    await bob.register();
    const session = await bob.invite(g.conferenceUri, { headers: ids(g) });
    for (const t of ['k1', 'k2']) await bob.say(session, t, g.conferenceUri);
    await l.waitEvent('message-stored', forUser(ALICE), 2);
    await l.waitEvent('invitation-outcome', (d) => d.user === ALICE && d.outcome === '480');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    alice.policy = () => 200;
    const registersBefore = alice.sessions.length;
    const eventsBefore = l.events.length;
    const pf = await l.startPf({ storePath: l.storePath, groups: 'none' });
    expect(pf.registrations.isRegistered(ALICE)).toBe(true);
    // The restarted PF invites on its own: give it the time a loaded machine needs (the test allows 60 s).
    const invite = await alice.waitSession(registersBefore + 1, undefined, 30_000);
    expect(texts(await alice.waitMessages(invite, 3))).toEqual(['k1', 'k2']);
    await l.waitEvent('delivery-finished', forUser(ALICE));
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
    // The restarted PF heard no REGISTER for alice: it knew from its store.
    const sinceRestart = l.events.slice(eventsBefore);
    expect(
      sinceRestart.some(
        (e) => e.type === 'registration' && forUser(ALICE)(e.data as Record<string, unknown>),
      ),
    ).toBe(false);
  }, 60_000);

  it('architecture.md "Rules": the MSRP connection cut mid-backlog; undelivered messages stay and arrive at the next registration; none arrives twice with different Message-IDs', async () => {
    const l = await lab();
    const pf = l.pf!;
    const all = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const seeded = seed(pf, ALICE, all);
    const alice = await l.client('alice');
    holdAfter(alice, 6); // group state object + 5 messages
    await alice.register();
    const first = await alice.waitSession(1);
    await alice.waitMessages(first, 6);
    first.msrp!.connection!.destroy();
    await l.waitEvent('delivery-interrupted', forUser(ALICE));
    const left = pf.stores.deferred.pendingCount(ALICE, 'team');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(all.length);
    expect(pf.stores.deferred.deliveryRecord(ALICE, 'team')?.status).toBe('pending');

    await alice.register();
    const second = await alice.waitSession(2);
    await alice.waitBye(second);
    const received = [...first.messages, ...second.messages]
      .filter((m) => m.contentType === 'message/cpim')
      .map((m) => readChat(m));
    const idsByText = new Map<string, Set<string>>();
    for (const r of received) idsByText.set(r.text, (idsByText.get(r.text) ?? new Set()).add(r.messageId));
    expect([...idsByText.keys()].sort()).toEqual([...all].sort());
    all.forEach((text, i) => {
      expect([...idsByText.get(text)!]).toEqual([seeded[i]]);
    });
    // In order within each session.
    const order = received.map((r) => all.indexOf(r.text));
    const cut = first.messages.filter((m) => m.contentType === 'message/cpim').length;
    expect(order.slice(0, cut)).toEqual([...order.slice(0, cut)].sort((a, b) => a - b));
    expect(order.slice(cut)).toEqual([...order.slice(cut)].sort((a, b) => a - b));
    await l.waitEvent('delivery-finished', forUser(ALICE));
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
  });

  it('nothing waits for a REGISTER refresh: after an MSRP reset mid-backlog the PF retries on its own (visible in /state) and delivers the rest, with no REGISTER', async () => {
    const l = await lab();
    const pf = l.pf!;
    const all = Array.from({ length: 20 }, (_, i) => `r${i}`);
    seed(pf, ALICE, all);
    const alice = await l.client('alice');
    holdAfter(alice, 6);
    await alice.register();
    const first = await alice.waitSession(1);
    await alice.waitMessages(first, 6);
    const registrations = l.events.filter((e) => e.type === 'registration').length;
    first.msrp!.connection!.destroy();
    await l.waitEvent('delivery-interrupted', forUser(ALICE));
    const scheduled = pf.state().retries.find((r) => r.user === ALICE && r.groupId === 'team');
    expect(scheduled).toMatchObject({ attempt: 1, at: expect.any(String) });
    expect(scheduled!.reason).toMatch(/interrupted/);
    await l.waitEvent('delivery-retry', forUser(ALICE));
    const second = await alice.waitSession(2);
    await alice.waitBye(second);
    await l.waitEvent('delivery-finished', forUser(ALICE));
    expect(pf.stores.deferred.pendingCount(ALICE, 'team')).toBe(0);
    const got = [...first.messages, ...second.messages].filter((m) => m.contentType === 'message/cpim');
    expect(new Set(got.map((m) => readChat(m).text))).toEqual(new Set(all));
    expect(pf.state().retries).toEqual([]);
    expect(l.events.filter((e) => e.type === 'registration')).toHaveLength(registrations);
  });

  it('a participant whose MSRP connection resets is removed from the live session (BYE), not left connected', async () => {
    const l = await lab();
    const pf = l.pf!;
    const { carol, bobSession, carolSession } = await liveSession(l);
    if (carolSession.msrp!.state !== 'bound') await once(carolSession.msrp!, 'bound');
    carolSession.msrp!.connection!.destroy();
    await carol.waitBye(carolSession);
    await l.waitEvent('participant-left', forUser(CAROL));
    expect(pf.state().groups[0]!.connected).toEqual([BOB]);
    expect(bobSession.ended).toBe(false);
  });

  it('architecture.md "Rules": malformed MSRP and SIP from a participant do not disturb the other participants', async () => {
    const l = await lab();
    const pf = l.pf!;
    const g = team(pf);
    const [alice, bob, carol] = [await l.client('alice'), await l.client('bob'), await l.client('carol')];
    for (const c of [alice, bob, carol]) await c.register();
    const bobSession = await rejoin(l, bob);
    await l.waitEvent('participant-live', forUser(ALICE));
    await l.waitEvent('participant-live', forUser(CAROL));
    const aliceSession = await alice.waitSession(1);
    const carolSession = await carol.waitSession(1);

    // Garbage on an MSRP connection: the PF closes that connection only.
    const raw = connect(pf.msrpAddress.port, '127.0.0.1');
    raw.on('error', () => undefined);
    raw.write('HELLO THIS IS NOT MSRP\r\n\r\n');
    await new Promise((resolve) => raw.on('close', resolve));
    // Garbage on a SIP connection to the PF: the built-in stack closes that connection; drachtio-server's
    // (sofia-sip) drops the bytes and keeps it. Either way nobody else notices.
    const sip = connect(pf.sipAddresses.tcp!.port, '127.0.0.1');
    sip.on('error', () => undefined);
    const closed = new Promise((resolve) => sip.on('close', resolve));
    await new Promise<void>((resolve) => sip.write('GARBAGE GARBAGE\r\n\r\n'.repeat(4), () => resolve()));
    if (testSipEngine() === 'builtin') await closed;
    else sip.destroy();
    // A malformed datagram.
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) =>
      udp.send('INVITE \r\n\r\n', pf.sipAddresses.udp!.port, '127.0.0.1', () => resolve()),
    );
    udp.close();
    // A participant's SEND that claims message/cpim but is not CPIM.
    await carolSession.msrp!.send('this is not cpim', { contentType: 'message/cpim' });
    await l.waitEvent('bad-cpim', forUser(CAROL));

    await bob.say(bobSession, 'still fine', g.conferenceUri);
    expect(texts(await alice.waitMessages(aliceSession, 1))).toEqual(['still fine']);
    expect(texts(await carol.waitMessages(carolSession, 1))).toEqual(['still fine']);
    await carol.say(carolSession, 'me too', g.conferenceUri);
    expect(texts(await bob.waitMessages(bobSession, 1))).toEqual(['me too']);
    expect(pf.state().groups[0]!.connected).toEqual([ALICE, BOB, CAROL]);
  });
});

describe('group lifecycle (protocol-notes §7; R3, D1.viii)', () => {
  it('protocol-notes §7 "Create": a factory INVITE with a resource list creates the group; the others are invited with Referred-By; conference state full, then partial', async () => {
    const l = await lab({ groups: 'none' });
    const pf = l.pf!;
    const [alice, bob, carol] = [await l.client('alice'), await l.client('bob'), await l.client('carol')];
    for (const c of [alice, bob, carol]) await c.register();
    const conversationId = newConversationId();
    const contributionId = newContributionId();
    const created = await alice.invite(pf.factoryUri, {
      headers: [
        ['Require', 'recipient-list-invite'],
        ['Conversation-ID', conversationId],
        ['Contribution-ID', contributionId],
        ['Subject', 'Weekend'],
      ],
      multipartWith: (sdp) => {
        const mp = buildMultipart([
          { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: Buffer.from(sdp) },
          {
            headers: [
              { name: 'Content-Type', value: 'application/resource-lists+xml' },
              { name: 'Content-Disposition', value: 'recipient-list' },
            ],
            body: buildResourceLists(recipientList([{ uri: BOB }, { uri: CAROL }])),
          },
        ]);
        return { body: mp.body, contentType: mp.contentType };
      },
    });
    const group = pf.stores.groups.byConversationId(conversationId)!;
    expect(group).toMatchObject({ creator: ALICE, subject: 'Weekend', contributionId });
    expect(group.participants.map((p) => p.uri)).toEqual([ALICE, BOB, CAROL]);
    expect(created.sip!.response.get('contact')).toBe(`<${group.conferenceUri}>;isfocus`);

    const bobInvite = await bob.waitSession(1);
    expect(bobInvite.request.get('referred-by')).toBe(`<${ALICE}>`);
    expect(bobInvite.request.get('accept-contact')).toBe(SESSION_AC);
    expect(bobInvite.request.get('conversation-id')).toBe(conversationId);
    expect(bobInvite.request.get('contribution-id')).toBe(contributionId);
    expect(bobInvite.request.get('subject')).toBe('Weekend');
    expect(aorKey(formatUri(bobInvite.request.from.uri))).toBe(group.conferenceUri);
    const carolInvite = await carol.waitSession(1);
    await l.waitEvent('participant-live', forUser(BOB));
    await l.waitEvent('participant-live', forUser(CAROL));

    await alice.subscribeConference(group.conferenceUri);
    const full = parseConferenceInfo((await alice.signal.until(() => alice.notifies[0], 'NOTIFY')).body);
    expect(full.state).toBe('full');
    expect(full.users?.map((u) => [u.entity, u.endpoints[0]?.status])).toEqual([
      [ALICE, 'connected'],
      [BOB, 'connected'],
      [CAROL, 'connected'],
    ]);
    await carolInvite.sip!.bye();
    const partial = await alice.signal.until(
      () => alice.notifies.map((n) => parseConferenceInfo(n.body)).find((i) => i.state === 'partial'),
      'partial NOTIFY',
    );
    expect(partial.users).toEqual([expect.objectContaining({ entity: CAROL })]);
    expect(partial.users![0]!.endpoints[0]!.status).toBe('disconnected');
    expect(partial.version).toBe(2);

    await alice.say(created, 'hi all', group.conferenceUri);
    expect(readChat((await bob.waitMessages(bobInvite, 1))[0]!)).toMatchObject({
      text: 'hi all',
      from: ALICE,
    });
    // carol left: hers is stored.
    await l.waitEvent('message-stored', forUser(CAROL));
  });

  /** A lab where bob registered and re-joined the team's session. */
  async function bobRejoined(options: Parameters<typeof lab>[0] = {}) {
    const l = await lab(options);
    const bob = await l.client('bob');
    await bob.register();
    const session = await rejoin(l, bob);
    return { l, pf: l.pf!, bob, session };
  }

  it('protocol-notes §7: idle timeout → BYE without Reason and the session is inactive', async () => {
    const { l, pf, bob, session } = await bobRejoined({ idleTimeoutMs: 300 });
    const idleBye = await bob.waitBye(session);
    expect(idleBye.has('reason')).toBe(false);
    await l.waitEvent('session-ended', (d) => d.reason === 'idle');
    expect(pf.sessionState('team')).toBe('inactive');
  });

  it('protocol-notes §7: a deleted group → BYE with Reason 410 Gone, then 404', async () => {
    // The default idle timeout (30 s): a loaded machine must not end the session as idle before the DELETE.
    const { pf, bob, session } = await bobRejoined();
    const g = team(pf);
    expect(pf.sessionState('team')).toBe('active');
    const response = await fetch(`${pf.controlUrl}/groups/team`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const goneBye = await bob.waitBye(session);
    expect(goneBye.get('reason')).toBe('SIP;cause=410;text="Gone"');
    expect(pf.stores.groups.get('team')).toBeUndefined();
    // protocol-notes §7: unknown conference URI → 404.
    await expect(bob.invite(g.conferenceUri, { headers: ids(g) })).rejects.toMatchObject({ status: 404 });
  });

  it('control API: POST /groups provisions a group, POST /groups/:id/end ends its session with BYE (no Reason), bad input → 400', async () => {
    const l = await lab({ groups: 'none' });
    const pf = l.pf!;
    const created = await fetch(`${pf.controlUrl}/groups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'ops', participants: ['bob', 'sip:carol@ims.lab'], subject: 'Ops' }),
    });
    expect(created.status).toBe(201);
    const group = (await created.json()) as Group;
    expect(group).toMatchObject({
      id: 'ops',
      conferenceUri: 'sip:group-ops@ims.lab',
      creator: BOB,
      subject: 'Ops',
    });
    const bad = await fetch(`${pf.controlUrl}/groups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ participants: [] }),
    });
    expect(bad.status).toBe(400);
    const bob = await l.client('bob');
    await bob.register();
    const session = await bob.invite(group.conferenceUri, { headers: ids(group) });
    const ended = await fetch(`${pf.controlUrl}/groups/ops/end`, { method: 'POST' });
    expect(await ended.json()).toEqual({ groupId: 'ops', ended: true });
    expect((await bob.waitBye(session)).has('reason')).toBe(false);
    expect(pf.sessionState('ops')).toBe('inactive');
    expect((await fetch(`${pf.controlUrl}/groups/nope/end`, { method: 'POST' })).status).toBe(404);
  });
});
