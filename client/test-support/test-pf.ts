// A scripted Participating Function for client tests, built on the project's own stack (UserAgent +
// MsrpEndpoint) behind the real CSCF: it invites users as protocol-notes §4 writes (deferred / active), plays
// MSRP as the passive side, answers re-join / restart / create INVITEs (§7), and records every request it gets
// (third-party REGISTER, MESSAGE, SUBSCRIBE, INVITE). Not a mock of the client: everything crosses sockets.
import {
  buildConferenceInfo,
  buildGroupState,
  CONFERENCE_INFO_CONTENT_TYPE,
  GROUP_STATE_CONTENT_TYPE,
  bodyOfType,
} from '../../protocol/bodies/index.js';
import { CPIM_CONTENT_TYPE, createCpim, serializeCpim } from '../../protocol/cpim/index.js';
import { silentLogger, startTestCscf } from '../../test-support/cscf.js';
import {
  CONTRIBUTION_ID,
  CONVERSATION_ID,
  formatAcceptContact,
  ICSI_CPM_DEFERRED,
  ICSI_CPM_SESSION,
} from '../../protocol/cpm/index.js';
import { type DispositionRequest, IMDN_NS_DECLARATION, imdnHeaders } from '../../protocol/imdn/index.js';
import { MsrpEndpoint, type MsrpMessage, type MsrpSession } from '../../protocol/msrp/index.js';
import {
  buildMsrpAnswer,
  buildMsrpSdp,
  type Direction,
  type MsrpMediaDescription,
  parseMsrpSdp,
} from '../../protocol/sdp/index.js';
import {
  type InviteSession,
  SipRequestError,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  SipTransportLayer,
  UserAgent,
} from '../../protocol/sip/index.js';
import type { Cscf } from '../../services/cscf/index.js';

export interface PfGroup {
  conversationId: string;
  contributionId: string;
  conferenceUri: string;
  subject: string;
  members: string[];
}

export interface PfLeg {
  session: InviteSession;
  msrp: MsrpSession;
  /** Resolves once the client's binding SEND arrived (RFC 6135). */
  bound: Promise<void>;
  /** What the client's SDP said. */
  remote: MsrpMediaDescription;
  received: MsrpMessage[];
  waitForMessage(match: (m: MsrpMessage) => boolean): Promise<MsrpMessage>;
}

export type InviteOutcome = { status: number; leg?: PfLeg; response?: SipResponse };

const ACCEPT_TYPES = ['message/cpim', 'application/group-state-object+xml'];
const WRAPPED = ['text/plain', 'message/imdn+xml'];
export const SILENT = silentLogger();

export class TestPf {
  readonly ua: UserAgent;
  readonly msrp: MsrpEndpoint;
  readonly requests: SipRequest[] = [];
  /** INVITEs to group / factory URIs as they arrive, before any answer. */
  readonly arrivals: SipRequest[] = [];
  /** Legs the client opened (re-join / restart / create). */
  readonly joins: Array<{ request: SipRequest; leg: PfLeg }> = [];
  /** The status for INVITEs to group / factory URIs: 200 (default) or a rejection. */
  joinStatus: (req: SipRequest) => number = () => 200;
  #waiters: Array<() => void> = [];

  constructor(ua: UserAgent, msrp: MsrpEndpoint) {
    this.ua = ua;
    this.msrp = msrp;
    for (const method of ['REGISTER', 'MESSAGE']) {
      ua.on(method, async (req, res) => {
        this.#record(req);
        await res.send(200);
      });
    }
    ua.on('SUBSCRIBE', async (req, res) => {
      this.#record(req);
      const sub = await res.accept({ expires: 600 });
      await sub
        .notify({
          contentType: CONFERENCE_INFO_CONTENT_TYPE,
          body: buildConferenceInfo({
            entity: req.uri,
            state: 'full',
            version: 1,
            users: ['sip:alice@ims.lab', 'sip:bob@ims.lab', 'sip:dave@ims.lab'].map((entity) => ({
              entity,
              endpoints: [],
            })),
          }),
        })
        .catch(() => undefined);
    });
    ua.on('INVITE', async (req, res) => {
      this.arrivals.push(req);
      const status = this.joinStatus(req);
      if (status !== 200) {
        this.#record(req);
        await res.reject(status);
        return;
      }
      const offer = parseMsrpSdp(sdpBody(req));
      const msrp = this.msrp.createSession({ setup: 'passive', acceptTypes: ACCEPT_TYPES });
      const answer = buildMsrpAnswer(offer, {
        address: '127.0.0.1',
        port: this.msrp.port,
        transport: 'TCP/MSRP',
        path: [msrp.localPath],
        acceptTypes: ACCEPT_TYPES,
        acceptWrappedTypes: WRAPPED,
      });
      const session = await res.accept({
        body: buildMsrpSdp(answer),
        contentType: 'application/sdp',
        headers: [
          ['Contact', `<${req.uri.includes('factory') ? 'sip:group-new@ims.lab' : req.uri}>;isfocus`],
        ],
      });
      const leg = makeLeg(session, msrp, offer);
      await session.acked;
      this.joins.push({ request: req, leg });
      this.#record(req);
    });
  }

  /** Resolves with the first recorded request (past or future) that matches. */
  waitFor(method: string, match: (r: SipRequest) => boolean = () => true): Promise<SipRequest> {
    return this.#until(() => this.requests.find((r) => r.method === method && match(r)));
  }

  waitForJoin(n = 1): Promise<{ request: SipRequest; leg: PfLeg }> {
    return this.#until(() => this.joins[n - 1]);
  }

  /** protocol-notes §4: invite a returning user for deferred delivery (sendonly) or reconnection (sendrecv). */
  async invite(
    user: string,
    group: PfGroup,
    opts: {
      service?: 'deferred' | 'session';
      direction?: Direction;
      ids?: { conv: string; contrib: string };
      /** RFC 4145 §4.1: our a=setup (default actpass); `active` or `absent` (RFC 4145 default) → we connect. */
      setup?: 'actpass' | 'active' | 'absent';
      /** Send straight to this SIP port on 127.0.0.1 over TCP instead of through the CSCF. */
      directPort?: number;
    } = {},
  ): Promise<InviteOutcome> {
    const service = opts.service ?? 'deferred';
    const icsi = service === 'deferred' ? ICSI_CPM_DEFERRED : ICSI_CPM_SESSION;
    const direction = opts.direction ?? (service === 'deferred' ? 'sendonly' : 'sendrecv');
    const setup = opts.setup ?? 'actpass';
    const msrp = this.msrp.createSession({
      setup: setup === 'actpass' ? 'passive' : 'active',
      acceptTypes: ACCEPT_TYPES,
    });
    const offer = buildMsrpSdp({
      address: '127.0.0.1',
      port: this.msrp.port,
      transport: 'TCP/MSRP',
      path: [msrp.localPath],
      acceptTypes: ACCEPT_TYPES,
      acceptWrappedTypes: WRAPPED,
      direction,
      ...(setup === 'absent' ? {} : { setup }),
    });
    const call = this.ua.invite(`sip:${user}@ims.lab`, {
      from: `<${group.conferenceUri}>`,
      headers: [
        ['Contact', `<${group.conferenceUri}>;isfocus`],
        ['Accept-Contact', formatAcceptContact([icsi], { require: true, explicit: true })],
        ['P-Asserted-Service', icsi],
        [CONVERSATION_ID, opts.ids?.conv ?? group.conversationId],
        [CONTRIBUTION_ID, opts.ids?.contrib ?? group.contributionId],
        ['Subject', group.subject],
      ],
      body: offer,
      contentType: 'application/sdp',
      ...(opts.directPort !== undefined
        ? { target: { transport: 'tcp' as const, address: '127.0.0.1', port: opts.directPort } }
        : {}),
    });
    let session: InviteSession;
    try {
      session = await call.session;
    } catch (err) {
      msrp.close();
      if (err instanceof SipRequestError) return { status: err.status };
      throw err;
    }
    const answer = parseMsrpSdp(session.response.body);
    // An actpass offerer takes the role the answer leaves it (RFC 4145 §4.1).
    const role = setup === 'actpass' ? (answer.setup === 'passive' ? 'active' : 'passive') : undefined;
    return { status: 200, leg: makeLeg(session, msrp, answer, role), response: session.response };
  }

  /** D1.vii: the group state object, as the PF sends it first. */
  static groupState(group: PfGroup, timestamp = new Date()): Buffer {
    return buildGroupState({
      timestamp,
      lastFocusSessionId: group.conferenceUri,
      groupType: 'Closed',
      participants: group.members.map((m) => ({ name: m, commAddr: `sip:${m}@ims.lab` })),
    });
  }

  static async sendGroupState(leg: PfLeg, group: PfGroup): Promise<void> {
    await leg.msrp.send(TestPf.groupState(group), { contentType: GROUP_STATE_CONTENT_TYPE });
  }

  /** A stored chat message (CPIM From = the original sender, protocol-notes §4/§6). */
  static async sendChat(
    leg: PfLeg,
    init: {
      from: string;
      to: string;
      messageId: string;
      text: string;
      requests?: DispositionRequest[];
      /** RFC 5438 §4: IMDN-Record-Route URIs, top first. */
      recordRoute?: string[];
    },
  ): Promise<void> {
    const cpim = createCpim({
      from: { uri: init.from },
      to: { uri: init.to },
      namespaces: [IMDN_NS_DECLARATION],
      headers: [
        ...imdnHeaders(init.messageId, init.requests ?? ['positive-delivery', 'display']),
        ...(init.recordRoute ?? []).map((uri) => ({ name: 'imdn.IMDN-Record-Route', value: `<${uri}>` })),
      ],
      dateTime: new Date('2026-11-24T10:15:00.000Z'),
      contentType: 'text/plain;charset=utf-8',
      content: Buffer.from(init.text),
    });
    await leg.msrp.send(serializeCpim(cpim), { contentType: CPIM_CONTENT_TYPE });
  }

  #record(req: SipRequest): void {
    this.requests.push(req);
    this.#wake();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  #until<T>(probe: () => T | undefined): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        this.#waiters.splice(this.#waiters.indexOf(check), 1);
        resolve(v);
      };
      this.#waiters.push(check);
    });
  }

  async close(): Promise<void> {
    await this.ua.close();
    await this.msrp.close();
  }
}

function makeLeg(
  session: InviteSession,
  msrp: MsrpSession,
  remote: MsrpMediaDescription,
  role?: 'active' | 'passive',
): PfLeg {
  const received: MsrpMessage[] = [];
  const waiters: Array<{ match: (m: MsrpMessage) => boolean; resolve: (m: MsrpMessage) => void }> = [];
  msrp.on('message', (m) => {
    received.push(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const bound = msrp.start(remote.path.join(' '), role);
  bound.catch(() => undefined);
  return {
    session,
    msrp,
    bound,
    remote,
    received,
    waitForMessage: (match) => {
      const seen = received.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

function sdpBody(msg: SipMessage): Buffer {
  return bodyOfType(msg.body, msg.contentType, 'application/sdp') ?? msg.body;
}

export interface TestLab {
  cscf: Cscf;
  pf: TestPf;
  cscfAddress: { host: string; port: number };
  close(): Promise<void>;
}

/** The real CSCF with the test PF as its application server (group URIs, the factory, bob and carol). */
export async function startTestLab(t1 = 50): Promise<TestLab> {
  const pfTransport = await SipTransportLayer.listen({ tcp: { port: 0 }, idleTimeoutMs: 0 });
  const pfPort = pfTransport.addresses.tcp!.port;
  const cscf = await startTestCscf({
    t1,
    services: [
      {
        userPattern: /^(conference-factory|group-.+|bob|carol)$/,
        uri: `sip:127.0.0.1:${pfPort};transport=tcp`,
      },
    ],
  });
  const tcp = cscf.sipAddresses.tcp!;
  const ua = new UserAgent({
    transport: pfTransport,
    aor: 'sip:pf@ims.lab',
    outboundProxy: { transport: 'tcp', address: tcp.address, port: tcp.port },
    timers: { t1 },
    supported: ['recipient-list-invite'],
  });
  const msrp = await MsrpEndpoint.listen({});
  const pf = new TestPf(ua, msrp);
  return {
    cscf,
    pf,
    cscfAddress: { host: tcp.address, port: tcp.port },
    close: async () => {
      await pf.close();
      await pfTransport.close();
      await cscf.close();
    },
  };
}
