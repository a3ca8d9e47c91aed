// A CPM client for the PF's tests, built on the protocol stack (UserAgent + MsrpEndpoint): registers through the
// real CSCF with the four CPM ICSIs (protocol-notes §2), answers the PF's INVITEs per a programmable policy
// (200 / 480 / 481 / 603; D1.iv, D1.v), connects MSRP after ACK (a=setup:active) and records what arrives.
// Not a mock of the PF: everything goes over real sockets.
import { randomUUID } from 'node:crypto';
import { createCpim, parseCpim, serializeCpim, cpimFrom } from '../../../protocol/cpim/index.js';
import { CPM_ICSIS, formatIcsiRefParam } from '../../../protocol/cpm/index.js';
import {
  buildImdnCpim,
  IMDN_NS_DECLARATION,
  imdnHeaders,
  imdnMessageId,
} from '../../../protocol/imdn/index.js';
import { MsrpEndpoint, type MsrpMessage, type MsrpSession } from '../../../protocol/msrp/index.js';
import { answerDirection, buildMsrpSdp, parseMsrpSdp } from '../../../protocol/sdp/index.js';
import type { InviteSession, SipRequest } from '../../../protocol/sip/index.js';
import { UserAgent } from '../../../protocol/sip/index.js';

export const CLIENT_ACCEPT_TYPES = ['message/cpim', 'application/group-state-object+xml'];

/** Something that changes; waiters re-check their predicate on every change (no polling, no sleeps). */
export class Signal {
  #waiters: Array<() => void> = [];

  changed(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** `timeoutMs`: longer where a process starts first (a restarted PF loads its sources). */
  until<T>(check: () => T | undefined | false, what = 'condition', timeoutMs = 8000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const test = () => {
        let value: T | undefined | false;
        try {
          value = check();
        } catch (err) {
          clearTimeout(timer);
          reject(err);
          return;
        }
        if (value !== undefined && value !== false) {
          clearTimeout(timer);
          resolve(value);
        } else this.#waiters.push(test);
      };
      test();
    });
  }
}

/** One SIP session with the PF and its MSRP session, as the client saw it. */
export interface ClientSession {
  /** The INVITE (received from the PF, or sent by us). */
  request: SipRequest;
  sip?: InviteSession;
  msrp?: MsrpSession;
  messages: MsrpMessage[];
  /** The PF's BYE, when it came. */
  bye?: SipRequest;
  ended: boolean;
}

export type InvitePolicy = (request: SipRequest) => 200 | 480 | 481 | 603 | 486;

export class TestClient {
  readonly user: string;
  readonly aor: string;
  readonly ua: UserAgent;
  readonly msrp: MsrpEndpoint;
  readonly signal = new Signal();
  readonly sessions: ClientSession[] = [];
  readonly notifies: SipRequest[] = [];
  /** Pager-mode MESSAGEs received (notifications relayed by the PF, protocol-notes §6). */
  readonly pagerMessages: SipRequest[] = [];
  readonly instance = `<urn:uuid:${randomUUID()}>`;
  policy: InvitePolicy = () => 200;
  /** RFC 4145 §4.1: the a=setup of our answers to the PF's actpass offers (passive: the PF connects). */
  answerSetup: 'active' | 'passive' = 'active';
  /** Called once a session we accept has its MSRP session (before our 2xx): tests set an acceptor on it. */
  onAccept: ((session: ClientSession) => void) | undefined;

  private constructor(user: string, ua: UserAgent, msrp: MsrpEndpoint) {
    this.user = user;
    this.aor = `sip:${user}@ims.lab`;
    this.ua = ua;
    this.msrp = msrp;
    ua.on('INVITE', (req, res) => this.#onInvite(req, res));
    ua.on('MESSAGE', (req, res) => {
      this.pagerMessages.push(req);
      this.signal.changed();
      void res.send(200);
    });
  }

  static async start(user: string, cscfTcpPort: number, t1 = 50): Promise<TestClient> {
    const ua = await UserAgent.listen({
      aor: `sip:${user}@ims.lab`,
      transport: { tcp: { port: 0 }, idleTimeoutMs: 0 },
      outboundProxy: { transport: 'tcp', address: '127.0.0.1', port: cscfTcpPort },
      timers: { t1 },
    });
    const msrp = await MsrpEndpoint.listen({ transactionTimeoutMs: 2000 });
    return new TestClient(user, ua, msrp);
  }

  /** protocol-notes §2: register with all four ICSIs and +sip.instance. */
  async register(expires = 600): Promise<void> {
    await this.ua.register({
      registrar: 'sip:ims.lab',
      expires,
      contactParams: `;${formatIcsiRefParam(CPM_ICSIS)};+sip.instance="${this.instance}"`,
    });
  }

  async unregister(): Promise<void> {
    await this.ua.unregister(this.aor);
  }

  /** Resolves with the n-th (1-based) session that matches. */
  waitSession(
    n: number,
    match: (s: ClientSession) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<ClientSession> {
    return this.signal.until(
      () => this.sessions.filter(match)[n - 1],
      `${this.user}: session #${n}`,
      timeoutMs,
    );
  }

  waitMessages(session: ClientSession, count: number): Promise<MsrpMessage[]> {
    return this.signal.until(
      () => (session.messages.length >= count ? session.messages : undefined),
      `${this.user}: ${count} MSRP messages (have ${session.messages.length})`,
    );
  }

  waitBye(session: ClientSession): Promise<SipRequest> {
    return this.signal.until(() => session.bye, `${this.user}: BYE`);
  }

  waitEnded(session: ClientSession): Promise<void> {
    return this.signal
      .until(() => (session.ended ? true : undefined), `${this.user}: session end`)
      .then(() => undefined);
  }

  /** protocol-notes §7 re-join/restart or create: INVITE with our offer (a=setup:active: we connect). */
  async invite(
    uri: string,
    options: {
      headers?: Array<[string, string]>;
      multipartWith?: (sdp: string) => { body: Buffer; contentType: string };
    } = {},
  ): Promise<ClientSession> {
    const msrp = this.msrp.createSession({ setup: 'active', acceptTypes: CLIENT_ACCEPT_TYPES });
    const sdp = buildMsrpSdp({
      address: '127.0.0.1',
      port: this.msrp.port,
      transport: 'TCP/MSRP',
      path: [msrp.localPath],
      acceptTypes: CLIENT_ACCEPT_TYPES,
      acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
      direction: 'sendrecv',
      setup: 'active',
    });
    const body = options.multipartWith
      ? options.multipartWith(sdp)
      : { body: Buffer.from(sdp), contentType: 'application/sdp' };
    const call = this.ua.invite(uri, {
      headers: options.headers ?? [],
      body: body.body,
      contentType: body.contentType,
    });
    const record: ClientSession = { request: call.request, msrp, messages: [], ended: false };
    this.#watchMsrp(record, msrp);
    const sip = await call.session;
    this.#watchSip(record, sip);
    this.sessions.push(record);
    this.signal.changed();
    await msrp.start(parseMsrpSdp(sip.remoteBody).path.join(' '));
    return record;
  }

  /** A chat message in CPIM (protocol-notes §6) over the session's MSRP. Resolves with its imdn.Message-ID. */
  async say(session: ClientSession, text: string, to: string): Promise<string> {
    const id = randomUUID().replace(/-/g, '').slice(0, 24);
    const cpim = createCpim({
      from: { uri: this.aor },
      to: { uri: to },
      namespaces: [IMDN_NS_DECLARATION],
      headers: imdnHeaders(id, ['positive-delivery']),
      dateTime: new Date(),
      contentType: 'text/plain;charset=utf-8',
      content: Buffer.from(text),
    });
    await session.msrp!.send(serializeCpim(cpim), { contentType: 'message/cpim' });
    return id;
  }

  /** protocol-notes §7: SUBSCRIBE to the conference event package (RFC 4575); NOTIFYs land in `notifies`. */
  async subscribeConference(conferenceUri: string): Promise<void> {
    await this.ua.subscribe(conferenceUri, {
      event: 'conference',
      accept: 'application/conference-info+xml',
      onNotify: (notify) => {
        this.notifies.push(notify);
        this.signal.changed();
      },
    });
  }

  /** A delivery notification (RFC 5438) for `messageId`, wrapped in CPIM To = the original sender (§6). */
  async notifyDelivered(session: ClientSession, messageId: string, originalSender: string): Promise<string> {
    const id = randomUUID().replace(/-/g, '').slice(0, 24);
    const cpim = buildImdnCpim({
      from: { uri: this.aor },
      to: { uri: originalSender },
      messageId: id,
      notification: {
        messageId,
        dateTime: new Date(),
        notification: { kind: 'delivery', status: 'delivered' },
      },
    });
    await session.msrp!.send(serializeCpim(cpim), { contentType: 'message/cpim' });
    return id;
  }

  async close(): Promise<void> {
    await this.ua.close();
    await this.msrp.close();
  }

  async #onInvite(
    req: SipRequest,
    res: import('../../../protocol/sip/index.js').InviteServerResponse,
  ): Promise<void> {
    const record: ClientSession = { request: req, messages: [], ended: false };
    this.sessions.push(record);
    this.signal.changed();
    const status = this.policy(req);
    if (status !== 200) {
      await res.reject(status);
      record.ended = true;
      this.signal.changed();
      return;
    }
    const offer = parseMsrpSdp(req.body);
    const setup = this.answerSetup;
    const msrp = this.msrp.createSession({ setup, acceptTypes: CLIENT_ACCEPT_TYPES });
    record.msrp = msrp;
    this.#watchMsrp(record, msrp);
    this.onAccept?.(record);
    // Passive: listening before the PF can see our 2xx.
    const listening =
      setup === 'passive' ? msrp.start(offer.path.join(' ')).catch(() => undefined) : undefined;
    // protocol profile §4: recvonly to sendonly, sendrecv to sendrecv; a=setup as configured.
    const answer = buildMsrpSdp({
      address: '127.0.0.1',
      port: this.msrp.port,
      transport: 'TCP/MSRP',
      path: [msrp.localPath],
      acceptTypes: CLIENT_ACCEPT_TYPES,
      acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
      direction: answerDirection(offer.direction),
      setup,
    });
    const sip = await res.accept({ body: answer, contentType: 'application/sdp' });
    this.#watchSip(record, sip);
    this.signal.changed();
    await sip.acked;
    // protocol profile §4: after ACK the active side opens the MSRP connection and binds it with an empty SEND.
    await (listening ?? msrp.start(offer.path.join(' ')).catch(() => undefined));
  }

  #watchSip(record: ClientSession, sip: InviteSession): void {
    record.sip = sip;
    sip.on('bye', (bye) => {
      record.bye = bye;
      this.signal.changed();
    });
    sip.on('terminated', () => {
      record.ended = true;
      record.msrp?.close();
      this.signal.changed();
    });
  }

  #watchMsrp(record: ClientSession, msrp: MsrpSession): void {
    msrp.on('message', (m) => {
      record.messages.push(m);
      this.signal.changed();
    });
    msrp.on('close', () => this.signal.changed());
  }
}

/** The text, CPIM From and imdn.Message-ID of a received message/cpim payload. */
export function readChat(m: MsrpMessage): { text: string; from: string; messageId: string } {
  const cpim = parseCpim(m.body);
  return {
    text: cpim.content.toString('utf8'),
    from: cpimFrom(cpim)?.uri ?? '',
    messageId: imdnMessageId(cpim) ?? '',
  };
}
