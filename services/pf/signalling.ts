// The PF's signalling port: everything its roles need from a SIP stack, and nothing more. Incoming
// out-of-dialog requests (REGISTER, INVITE, SUBSCRIBE, MESSAGE) with a way to answer them, INVITE and MESSAGE
// out through the CSCF (outbound proxy), and the dialogs those create (ACK, BYE, NOTIFY inside them).
// BuiltInSignalling implements it with the project's own stack (protocol/sip); another SIP engine (drachtio)
// implements the same interface, and the roles do not change. MSRP is not part of it (protocol/msrp).
import type { SipRequest } from '../../protocol/sip/index.js';
import { type SendTarget, SipTransportLayer, UserAgent } from '../../protocol/sip/index.js';
import type { WireTrace } from '../../protocol/trace/index.js';
import type { Logger } from '../../runtime/index.js';

/** Requests reach the roles parsed by the project's SIP parser, whatever engine received them. */
export type { SipRequest };

export type HeaderList = Array<[string, string | number]>;

/** Why a dialog ended, as the roles read it (`remote-bye`, `local-bye`; anything else: the dialog went away). */
export type DialogEndReason = string;

/** An INVITE dialog (RFC 3261 §12–15) as the roles use it: the peer's SDP, the ACK, BYE, and its end. */
export interface PfInviteDialog {
  /** The peer's body: the SDP answer (UAC) or offer (UAS). */
  readonly remoteBody: Buffer;
  /** Settles when the ACK for the 2xx came (UAS) or went (UAC); rejects if it never does. */
  readonly acked: Promise<unknown>;
  bye(options?: { headers?: HeaderList }): Promise<unknown>;
  on(event: 'terminated', listener: (reason: DialogEndReason) => void): unknown;
}

/** A conference event package subscription (RFC 6665 notifier) as the controlling role uses it. */
export interface PfNotifier {
  readonly terminated: boolean;
  notify(options: { body?: Buffer | string; contentType?: string; headers?: HeaderList }): Promise<unknown>;
  /** §4.2.2: a final NOTIFY with Subscription-State terminated and this reason. */
  terminate(reason?: string): Promise<unknown>;
  once(event: 'terminated', listener: () => void): unknown;
}

export interface PfResponseOptions {
  reason?: string;
  headers?: HeaderList;
  body?: Buffer | string;
  contentType?: string;
}

/** The answer to an out-of-dialog request. */
export interface PfResponse {
  /** Where the request came from (the PF accepts third-party REGISTERs only from the CSCF). */
  readonly source: { remote: { address: string; port: number } };
  send(status: number, options?: PfResponseOptions): Promise<unknown>;
}

export interface PfInviteResponse extends PfResponse {
  reject(status: number, options?: PfResponseOptions): Promise<unknown>;
  /** 2xx with our SDP; resolves with the dialog (the ACK follows: PfInviteDialog.acked). */
  accept(options: PfResponseOptions): Promise<PfInviteDialog>;
}

export interface PfSubscribeResponse extends PfResponse {
  /** The Event package (RFC 6665 §8.2.1); undefined when the SUBSCRIBE named none. */
  readonly event: string | undefined;
  accept(options: { expires: number }): Promise<PfNotifier>;
}

export type RequestHandler<R> = (req: SipRequest, res: R) => void | Promise<void>;

/** An INVITE the PF sends (protocol profile §4, §7): to a user, through the CSCF. */
export interface OutgoingInviteRequest {
  from: string;
  to: string;
  headers: Array<[string, string]>;
  body: Buffer | string;
  contentType: string;
}

export interface OutgoingMessageRequest {
  from: string;
  headers: Array<[string, string]>;
  contentType: string;
}

export interface SipAddresses {
  udp?: { address: string; port: number };
  tcp?: { address: string; port: number };
}

export interface PfSignalling {
  /** Where the CSCF routes the PF's service URIs and third-party REGISTERs: `sip:127.0.0.1:5070;transport=tcp`. */
  readonly sipUri: string;
  readonly addresses: SipAddresses;
  /** The engine, for the state and the report: `cpm-lab built-in SIP stack`, `drachtio-server 1.0.0 at …`. */
  readonly engine: string;
  onRegister(handler: RequestHandler<PfResponse>): void;
  onInvite(handler: RequestHandler<PfInviteResponse>): void;
  onSubscribe(handler: RequestHandler<PfSubscribeResponse>): void;
  onMessage(handler: RequestHandler<PfResponse>): void;
  /**
   * INVITE `target`; resolves with the dialog once the 2xx is ACKed, rejects with SipRequestError (a final
   * response; `localFailure` set for a local timeout or transport failure) or another error.
   */
  invite(target: string, request: OutgoingInviteRequest): Promise<PfInviteDialog>;
  /** MESSAGE `target` (RFC 3428); resolves on 2xx. */
  message(target: string, body: Buffer, request: OutgoingMessageRequest): Promise<void>;
  close(): Promise<void>;
}

export interface BuiltInSignallingOptions {
  host: string;
  advertisedHost: string;
  udpPort: number;
  tcpPort: number;
  domain: string;
  t1: number;
  /** The outbound proxy (the CSCF); the same object is read for each request, so it can be re-pointed. */
  cscf: SendTarget;
  trace: WireTrace;
  logger: Logger;
}

/** The PF's signalling on the project's own SIP stack (transport layer + user agent). */
export class BuiltInSignalling implements PfSignalling {
  readonly #transport: SipTransportLayer;
  readonly #ua: UserAgent;

  private constructor(transport: SipTransportLayer, ua: UserAgent) {
    this.#transport = transport;
    this.#ua = ua;
  }

  static async listen(options: BuiltInSignallingOptions): Promise<BuiltInSignalling> {
    const { logger } = options;
    const advertise =
      options.advertisedHost === options.host ? {} : { advertise: { address: options.advertisedHost } };
    const transport = await SipTransportLayer.listen({
      udp: { host: options.host, port: options.udpPort, ...advertise },
      tcp: { host: options.host, port: options.tcpPort, ...advertise },
      trace: options.trace,
      // The CSCF keeps one connection to the PF for all users' requests.
      idleTimeoutMs: 0,
    });
    transport.on('error', (err) => logger.warn('SIP transport error', { error: err.message }));
    transport.on('malformed', (m) =>
      logger.info('malformed SIP input', {
        from: `${m.source.remote.address}:${m.source.remote.port}`,
        error: m.error.message,
        responded: m.responded,
      }),
    );
    const ua = new UserAgent({
      transport,
      timers: { t1: options.t1 },
      aor: `sip:pf@${options.domain}`,
      outboundProxy: options.cscf,
      defaultTransport: 'tcp',
      // protocol profile §7 "Create": the factory INVITE carries Require: recipient-list-invite (RFC 5366).
      supported: ['recipient-list-invite'],
      userAgent: 'cpm-lab-pf',
    });
    ua.onError((err) => logger.debug('SIP UA error', { error: String(err) }));
    return new BuiltInSignalling(transport, ua);
  }

  get sipUri(): string {
    const tcp = this.#transport.sentBy('tcp')!;
    return `sip:${tcp.address}:${tcp.port};transport=tcp`;
  }

  get addresses(): SipAddresses {
    return this.#transport.addresses;
  }

  get engine(): string {
    return 'cpm-lab built-in SIP stack';
  }

  onRegister(handler: RequestHandler<PfResponse>): void {
    this.#ua.on('REGISTER', handler);
  }

  onInvite(handler: RequestHandler<PfInviteResponse>): void {
    this.#ua.on('INVITE', handler);
  }

  onSubscribe(handler: RequestHandler<PfSubscribeResponse>): void {
    this.#ua.on('SUBSCRIBE', handler);
  }

  onMessage(handler: RequestHandler<PfResponse>): void {
    this.#ua.on('MESSAGE', handler);
  }

  invite(target: string, request: OutgoingInviteRequest): Promise<PfInviteDialog> {
    return this.#ua.invite(target, request).session;
  }

  async message(target: string, body: Buffer, request: OutgoingMessageRequest): Promise<void> {
    await this.#ua.message(target, body, request);
  }

  async close(): Promise<void> {
    await this.#ua.close();
    await this.#transport.close();
  }
}
