// The PF's signalling port (../signalling.ts) on drachtio-server, through drachtio-srf: the PF as a drachtio
// application. drachtio-server owns the SIP transport, transactions and dialogs; this adapter hands the roles
// the same objects the built-in stack does. Requests reach the roles parsed by our own SIP parser from the raw
// text drachtio-server passes on; the PF's SIP on the wire comes into the trace from drachtio-server's HEP
// capture (hep-capture.ts). MSRP stays on the project's own stack.
import { EventEmitter } from 'node:events';
import {
  isRequest,
  markLocalFailure,
  parseMessage,
  type SipMessage,
  type SipRequest,
  SipRequestError,
  SipResponse,
} from '../../../protocol/sip/index.js';
import type {
  BuiltInSignallingOptions,
  HeaderList,
  OutgoingInviteRequest,
  OutgoingMessageRequest,
  PfInviteDialog,
  PfInviteResponse,
  PfNotifier,
  PfResponse,
  PfResponseOptions,
  PfSignalling,
  PfSubscribeResponse,
  RequestHandler,
  SipAddresses,
} from '../signalling.js';
import { HepCapture, type SipEndpoint } from './hep-capture.js';
import {
  Srf,
  SRF_VERSION,
  type SrfApp,
  type SrfDialog,
  type SrfError,
  type SrfHandler,
  type SrfHeaders,
  type SrfMessage,
  type SrfRequest,
  type SrfResponse,
  type SrfResponseMessage,
} from './srf.js';

export interface DrachtioServer {
  /** drachtio-server's admin (application) endpoint. */
  host: string;
  port: number;
  secret: string;
}

/** A drachtio-server this engine started (embedded lab), closed with the signalling. */
export interface OwnedDrachtioServer {
  admin: DrachtioServer;
  /** `1.0.0`, as `drachtio --version` reports it. */
  version: string;
  close(): Promise<void>;
}

export interface DrachtioEngineSettings {
  /**
   * An existing drachtio-server, or a way to start one once the capture port is known (it must send its HEP3
   * capture there).
   */
  server: DrachtioServer | ((capture: { host: string; port: number }) => Promise<OwnedDrachtioServer>);
  /**
   * Where this PF takes drachtio-server's HEP3 capture (drachtio's `--homer host:port`): the PF's SIP in the
   * trace. Port 0 with a server it starts: any free port; `null`: no capture (the trace then has no PF SIP
   * messages, and the PF says so at start).
   */
  capture: { host: string; port: number } | null;
  /**
   * How long to keep trying to reach drachtio-server (default 30 s: a server container may start after the
   * PF's). A server that answers and refuses (wrong secret) fails at once.
   */
  connectTimeoutMs?: number;
}

/** The PF's signalling factory (PfOptions.signalling) for drachtio-server. */
export function drachtioEngine(
  settings: DrachtioEngineSettings,
): (options: BuiltInSignallingOptions) => Promise<PfSignalling> {
  return (options) => DrachtioSignalling.connect({ ...options, ...settings });
}

export type DrachtioSignallingOptions = BuiltInSignallingOptions & DrachtioEngineSettings;

/** drachtio-server's default SIP timer T1 (its `<timers><t1>`), in ms. */
const DRACHTIO_T1_MS = 500;

/** No ACK for our 2xx within 64*T1 (RFC 3261 §13.3.1.4): the dialog is of no use. */
class AckTimeoutError extends Error {
  override readonly name = 'AckTimeoutError';
}

export class DrachtioSignalling implements PfSignalling {
  readonly #srf: SrfApp;
  /** The roles' handlers per method, set by on*(); the routes to them exist from the connect on (VERBS). */
  readonly #routes: Routes;
  readonly #options: DrachtioSignallingOptions;
  readonly #endpoints: SipEndpoint[];
  /** Disconnects, closes the capture and stops a drachtio-server the engine started. */
  readonly #release: () => Promise<void>;
  #closed = false;

  private constructor(
    srf: SrfApp,
    routes: Routes,
    options: DrachtioSignallingOptions,
    endpoints: SipEndpoint[],
    release: () => Promise<void>,
    readonly engine: string,
  ) {
    this.#srf = srf;
    this.#routes = routes;
    this.#options = options;
    this.#endpoints = endpoints;
    this.#release = release;
  }

  /** Connect to drachtio-server as its application (drachtio-srf inbound connection) and start the capture. */
  static async connect(options: DrachtioSignallingOptions): Promise<DrachtioSignalling> {
    const { logger } = options;
    const resources: Array<() => Promise<void> | void> = [];
    const release = async () => {
      for (const r of resources.reverse()) {
        try {
          await r();
        } catch {
          // drachtio-srf's disconnect asserts on a socket that never connected; the others do not throw
        }
      }
    };
    try {
      const capture = options.capture
        ? await HepCapture.start({ ...options.capture, trace: options.trace, logger })
        : undefined;
      if (capture) resources.push(() => capture.close());
      // A server the PF starts gets its SIP port from a free-port probe, which another process can take before
      // drachtio-server binds it: then it exits, or comes up without that endpoint, and is started again (3 tries).
      const routes: Routes = new Map();
      let admin: DrachtioServer;
      let engine: string;
      let srf: SrfApp;
      let hostport: string;
      let endpoints: SipEndpoint[];
      for (let attempt = 1; ; attempt++) {
        let owned: OwnedDrachtioServer | undefined;
        if (typeof options.server === 'function') {
          if (!capture) throw new Error('a drachtio-server started by the PF needs a capture address');
          try {
            owned = await options.server({ host: capture.address.address, port: capture.address.port });
          } catch (err) {
            if (!(err as { retryable?: boolean }).retryable || attempt >= 3) throw err;
            logger.warn('drachtio-server did not start: starting it again', {
              attempt,
              error: (err as Error).message,
            });
            continue;
          }
          admin = owned.admin;
          engine = `drachtio-server ${owned.version} (started by the PF), drachtio-srf ${SRF_VERSION}`;
        } else {
          admin = options.server;
          engine = `drachtio-server at ${admin.host}:${admin.port}, drachtio-srf ${SRF_VERSION}`;
        }
        try {
          ({ srf, hostport } = await connectWithRetry(admin, options.connectTimeoutMs ?? 30_000, routes));
        } catch (err) {
          await owned?.close();
          throw err;
        }
        endpoints = parseHostport(hostport);
        if (endpoints.some((e) => e.transport === 'tcp')) {
          if (owned) resources.push(() => owned.close());
          resources.push(() => srf.disconnect());
          break;
        }
        srf.disconnect();
        await owned?.close();
        const problem = `drachtio-server at ${admin.host}:${admin.port} listens on no SIP TCP endpoint (${hostport || 'none'}); the CSCF reaches the PF over TCP`;
        if (!owned || attempt >= 3) throw new Error(problem);
        logger.warn(`${problem}: starting it again`, { attempt });
      }
      const where = `${admin.host}:${admin.port}`;
      capture?.setEndpoints(endpoints);
      // From here on drachtio-srf reconnects by itself: a lost connection is a warning, not a crash.
      srf.on('error', (err: Error) =>
        logger.warn('drachtio-server connection error', { error: err.message }),
      );
      srf.on('disconnect', () => logger.warn('drachtio-server connection lost', { drachtio: where }));
      logger.info('PF signalling on drachtio-server', {
        drachtio: where,
        sip: hostport,
        capture: capture ? `${capture.address.address}:${capture.address.port}` : 'off',
      });
      if (!capture) logger.warn("no HEP capture address: the lab trace will not show the PF's SIP messages");
      return new DrachtioSignalling(srf, routes, options, endpoints, release, engine);
    } catch (err) {
      await release();
      throw err;
    }
  }

  get sipUri(): string {
    const tcp = this.#endpoint('tcp')!;
    return `sip:${hostForUri(tcp.address)}:${tcp.port};transport=tcp`;
  }

  get addresses(): SipAddresses {
    const out: SipAddresses = {};
    const udp = this.#endpoint('udp');
    const tcp = this.#endpoint('tcp');
    if (udp) out.udp = { address: udp.address, port: udp.port };
    if (tcp) out.tcp = { address: tcp.address, port: tcp.port };
    return out;
  }

  onRegister(handler: RequestHandler<PfResponse>): void {
    this.#routes.set('register', (req, res) =>
      this.#dispatch(req, res, handler, () => this.#response(req, res)),
    );
  }

  onInvite(handler: RequestHandler<PfInviteResponse>): void {
    this.#routes.set('invite', (req, res) =>
      this.#dispatch(req, res, handler, () => this.#inviteResponse(req, res)),
    );
  }

  onSubscribe(handler: RequestHandler<PfSubscribeResponse>): void {
    this.#routes.set('subscribe', (req, res) =>
      this.#dispatch(req, res, handler, (parsed) => this.#subscribeResponse(req, res, parsed)),
    );
  }

  onMessage(handler: RequestHandler<PfResponse>): void {
    this.#routes.set('message', (req, res) =>
      this.#dispatch(req, res, handler, () => this.#response(req, res)),
    );
  }

  async invite(target: string, request: OutgoingInviteRequest): Promise<PfInviteDialog> {
    const headers = toSrfHeaders(request.headers, {
      From: request.from,
      To: request.to,
      'Content-Type': request.contentType,
    });
    let dialog: SrfDialog;
    try {
      dialog = await this.#srf.createUAC(target, {
        headers,
        localSdp: bodyText(request.body),
        proxy: this.#proxyUri(),
      });
    } catch (err) {
      throw failureOf('INVITE', err);
    }
    // drachtio-srf resolves once it has sent the ACK for the 2xx.
    return this.#inviteDialog(dialog, Promise.resolve());
  }

  async message(target: string, body: Buffer, request: OutgoingMessageRequest): Promise<void> {
    const headers = toSrfHeaders(request.headers, {
      From: request.from,
      To: `<${target}>`,
      'Content-Type': request.contentType,
    });
    let sent: SrfRequest;
    try {
      sent = await this.#srf.request(target, {
        method: 'MESSAGE',
        headers,
        body: bodyText(body),
        proxy: this.#proxyUri(),
      });
    } catch (err) {
      throw failureOf('MESSAGE', err);
    }
    const response = await new Promise<SrfResponseMessage>((resolve) =>
      sent.on('response', (res) => {
        if (res.status >= 200) resolve(res);
      }),
    );
    if (response.status >= 300) throw responseFailure('MESSAGE', response);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#release();
  }

  // ---- incoming requests ----

  #dispatch<R>(
    req: SrfRequest,
    res: SrfResponse,
    handler: RequestHandler<R>,
    wrap: (parsed: SipRequest) => R,
  ): void {
    const parsed = parseRaw(req);
    if (!parsed) {
      // drachtio-server parsed it, our parser did not: answer like the built-in stack would (RFC 3261 §21.4.1).
      res.send(400, 'Bad Request', {}, () => undefined);
      this.#options.logger.info('malformed SIP input', {
        from: `${req.source_address}:${req.source_port}`,
        method: req.method,
      });
      return;
    }
    try {
      const result = handler(parsed, wrap(parsed));
      if (result instanceof Promise) result.catch((err: unknown) => this.#reportError(err, res));
    } catch (err) {
      this.#reportError(err, res);
    }
  }

  #reportError(err: unknown, res: SrfResponse): void {
    this.#options.logger.warn('PF request handler failed', {
      error: err instanceof Error ? err.message : String(err),
    });
    if (!res.finalResponseSent) res.send(500, 'Server Internal Error', {}, () => undefined);
  }

  #response(req: SrfRequest, res: SrfResponse): PfResponse {
    return {
      source: { remote: { address: req.source_address ?? '', port: req.source_port ?? 0 } },
      send: (status, options) => send(res, status, options),
    };
  }

  #inviteResponse(req: SrfRequest, res: SrfResponse): PfInviteResponse {
    return {
      ...this.#response(req, res),
      reject: (status, options) => send(res, status, options),
      accept: async (options) => {
        const headers = toSrfHeaders(
          options.headers ?? [],
          options.contentType ? { 'Content-Type': options.contentType } : {},
        );
        const dialog = await this.#srf.createUAS(req, res, {
          localSdp: bodyText(options.body ?? ''),
          headers,
        });
        const acked = new Promise<unknown>((resolve, reject) => {
          // RFC 3261 §13.3.1.4: the ACK comes within 64*T1, or the dialog is over. drachtio-server retransmits
          // our 2xx on its own timers (T1 500 ms unless configured otherwise), and the ACK then still has to
          // reach us over its connection: wait as long as it retransmits, never less (the PF's T1 may be lower).
          const timer = setTimeout(() => {
            reject(new AckTimeoutError('no ACK for the 2xx within 64*T1'));
            void dialog.destroy().catch(() => undefined);
          }, 64 * Math.max(this.#options.t1, DRACHTIO_T1_MS));
          timer.unref();
          dialog.once('ack', (ack: SrfRequest) => {
            clearTimeout(timer);
            resolve(ack);
          });
          dialog.once('destroy', () => {
            clearTimeout(timer);
            reject(new AckTimeoutError('the dialog ended before the ACK'));
          });
        });
        acked.catch(() => undefined); // the roles await it; an unobserved rejection is not an error here
        return this.#inviteDialog(dialog, acked);
      },
    };
  }

  #subscribeResponse(req: SrfRequest, res: SrfResponse, parsed: SipRequest): PfSubscribeResponse {
    const event = parsed.get('event')?.split(';')[0]?.trim();
    return {
      ...this.#response(req, res),
      event: event === '' ? undefined : event,
      accept: ({ expires }) => this.#acceptSubscription(req, res, expires),
    };
  }

  /**
   * RFC 6665 §4.2.1: accept with 200 and the granted Expires (drachtio-srf's createUAS would answer 202, which
   * §8.3.1 deprecates), then keep the dialog as a notifier.
   */
  async #acceptSubscription(req: SrfRequest, res: SrfResponse, expires: number): Promise<PfNotifier> {
    const sent = await new Promise<SrfMessage>((resolve, reject) =>
      res.send(200, 'OK', { headers: { Expires: String(expires) } }, (err, msg) =>
        err ? reject(err) : resolve(msg),
      ),
    );
    const dialog = new NotifierDialog(this.#srf, req, res, sent, expires, this.#options.logger);
    this.#srf.addDialog(dialog.srfDialog);
    return dialog;
  }

  // ---- dialogs ----

  #inviteDialog(dialog: SrfDialog, acked: Promise<unknown>): PfInviteDialog {
    const events = new EventEmitter();
    let ended = false;
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      events.emit('terminated', reason);
    };
    dialog.on('destroy', () => end('remote-bye'));
    return {
      remoteBody: Buffer.from(dialog.remote.sdp ?? '', 'utf8'),
      acked,
      bye: async (options) => {
        if (ended) return undefined;
        const headers = toSrfHeaders(options?.headers ?? [], {});
        end('local-bye');
        try {
          return await dialog.destroy({ headers });
        } catch (err) {
          throw failureOf('BYE', err);
        }
      },
      on: (event, listener) => events.on(event, listener),
    };
  }

  #endpoint(transport: 'udp' | 'tcp'): SipEndpoint | undefined {
    return this.#endpoints.find((e) => e.transport === transport);
  }

  /** The CSCF as the outbound proxy, read per request (the PF can be re-pointed). */
  #proxyUri(): string {
    const { cscf } = this.#options;
    return `sip:${hostForUri(cscf.address)}:${cscf.port};transport=${cscf.transport ?? 'tcp'}`;
  }
}

/**
 * drachtio-srf's Dialog for a SUBSCRIBE usage whose in-dialog SUBSCRIBEs (refresh, unsubscribe: RFC 6665
 * §4.2.1.2, §4.2.1.4) are the notifier's to answer (the framework's own answer to an unsubscribe is a 202);
 * every other in-dialog request keeps the framework's handling.
 */
class SubscribeDialog extends Srf.Dialog {
  readonly #onSubscribe: (req: SrfRequest, res: SrfResponse) => void;

  constructor(
    srf: SrfApp,
    init: { req: SrfRequest; res: SrfResponse; sent: SrfMessage },
    onSubscribe: (req: SrfRequest, res: SrfResponse) => void,
  ) {
    super(srf, 'uas', init);
    this.#onSubscribe = onSubscribe;
  }

  override handle(req: SrfRequest, res: SrfResponse): void {
    if (req.method === 'SUBSCRIBE') this.#onSubscribe(req, res);
    else super.handle(req, res);
  }
}

/** A SUBSCRIBE dialog on drachtio-server, as the PF's notifier (RFC 6665 §4.2). */
class NotifierDialog extends EventEmitter implements PfNotifier {
  readonly srfDialog: SrfDialog;
  readonly #event: string;
  readonly #logger: BuiltInSignallingOptions['logger'];
  #expiresAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #terminated = false;
  #last: { body?: Buffer | string; contentType?: string } = {};

  constructor(
    srf: SrfApp,
    req: SrfRequest,
    res: SrfResponse,
    sent: SrfMessage,
    expires: number,
    logger: BuiltInSignallingOptions['logger'],
  ) {
    super();
    this.#logger = logger;
    this.#event = req.get('event') ?? 'conference';
    const dialog = new SubscribeDialog(srf, { req, res, sent }, (r, s) => this.#onSubscribe(r, s));
    dialog.on('destroy', () => this.#end('dialog-gone'));
    this.srfDialog = dialog;
    this.#arm(expires);
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  async notify(options: {
    body?: Buffer | string;
    contentType?: string;
    headers?: HeaderList;
  }): Promise<unknown> {
    this.#last = {
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    };
    const expires = Math.max(0, Math.round((this.#expiresAt - Date.now()) / 1000));
    return this.#send(`active;expires=${expires}`, options);
  }

  terminate(reason = 'noresource'): Promise<unknown> {
    return this.#send(`terminated;reason=${reason}`, this.#last, true);
  }

  async #send(
    state: string,
    options: { body?: Buffer | string; contentType?: string; headers?: HeaderList },
    final = false,
  ): Promise<unknown> {
    if (this.#terminated) throw new Error('the subscription is over');
    const headers = toSrfHeaders(options.headers ?? [], {
      Event: this.#event,
      'Subscription-State': state,
      ...(options.contentType ? { 'Content-Type': options.contentType } : {}),
    });
    if (final) this.#end(state.replace(/^terminated;reason=/, ''));
    let response: SrfResponseMessage;
    try {
      response = await this.srfDialog.request({
        method: 'NOTIFY',
        headers,
        ...(options.body !== undefined ? { body: bodyText(options.body) } : {}),
      });
    } catch (err) {
      this.#end('dialog-gone');
      throw failureOf('NOTIFY', err);
    }
    // RFC 6665 §4.2.2: a 481 (or 408) to NOTIFY removes the subscription.
    if (response.status === 481 || response.status === 408) this.#end('dialog-gone');
    if (response.status >= 300) throw responseFailure('NOTIFY', response);
    return response;
  }

  #onSubscribe(req: SrfRequest, res: SrfResponse): void {
    const value = req.get('expires');
    const expires = value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : 3600;
    res.send(200, 'OK', { headers: { Expires: String(expires) } }, () => undefined);
    if (expires === 0) {
      // §4.2.1.4: unsubscribe → a final NOTIFY with the current state.
      void this.#finalNotify(undefined);
      return;
    }
    this.#arm(expires); // §4.2.1.2: refresh
  }

  #arm(expires: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#expiresAt = Date.now() + expires * 1000;
    // §4.2.2: no refresh in time → NOTIFY terminated;reason=timeout.
    this.#timer = setTimeout(() => void this.#finalNotify('timeout'), expires * 1000);
    this.#timer.unref();
  }

  async #finalNotify(reason: string | undefined): Promise<void> {
    if (this.#terminated) return;
    try {
      await this.#send(reason ? `terminated;reason=${reason}` : 'terminated', this.#last, true);
    } catch (err) {
      this.#logger.debug('final NOTIFY failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  #end(reason: string | undefined): void {
    if (this.#terminated) return;
    this.#terminated = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.emit('terminated', reason);
  }
}

class RefusedError extends Error {}

/** The methods the PF takes out of dialog (in-dialog requests go to their dialogs). */
const VERBS = ['register', 'invite', 'subscribe', 'message'] as const;
type Routes = Map<(typeof VERBS)[number], SrfHandler>;

/**
 * drachtio-srf's inbound connection, tried again every 250 ms while the server cannot be reached (not yet
 * listening, its name not yet resolvable) until `timeoutMs`; resolves with the server's SIP endpoints.
 */
async function connectWithRetry(
  admin: DrachtioServer,
  timeoutMs: number,
  routes: Routes,
): Promise<{ srf: SrfApp; hostport: string }> {
  const where = `${admin.host}:${admin.port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const srf = new Srf();
    // drachtio-srf may report a failed connection more than once (and retries on its own): an 'error' without a
    // listener would throw, so one stays for the life of this attempt's object.
    srf.on('error', () => undefined);
    // The methods are routed to us before the connection: drachtio-srf then sends its route requests right
    // after authenticating, ahead of our connect event, so drachtio-server does not answer a request with 503
    // (no application) in the moments after the PF has started.
    for (const verb of VERBS) {
      srf[verb]((req, res) => {
        const route = routes.get(verb);
        if (route) route(req, res);
        // RFC 3261 §21.5.4: not ready for this method yet (the roles set their handlers right after connect).
        else res.send(503, 'Service Unavailable', { headers: { 'Retry-After': '1' } }, () => undefined);
      });
    }
    try {
      const hostport = await connectOnce(srf, admin, Math.max(1, deadline - Date.now()));
      await adminRoundTrip(srf);
      return { srf, hostport };
    } catch (err) {
      try {
        srf.disconnect();
      } catch {
        // drachtio-srf's disconnect asserts on a socket that never connected
      }
      if (err instanceof RefusedError || Date.now() + 250 >= deadline) {
        throw new Error(
          err instanceof RefusedError
            ? `drachtio-server at ${where} refused the PF: ${err.message}`
            : `cannot reach drachtio-server at ${where} within ${timeoutMs} ms: ${(err as Error).message}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * drachtio-srf emits `connect` once it has *sent* its route requests, without waiting for their answers, and
 * drachtio-server answers 503 (no application) to a request it receives before a route is in place: seen as a
 * proxied 500 to a MESSAGE sent just after the PF started. drachtio-server handles one admin connection's
 * messages in order, so its answer to a `ping` sent now means every route before it is registered. drachtio-srf
 * has no API for that round trip: its agent's own request map is used (SrfAgentInternals). Bounded: after
 * `timeoutMs` without an answer the PF goes on (the 503 window is then as before).
 */
function adminRoundTrip(srf: SrfApp, timeoutMs = 2000): Promise<void> {
  const agent = srf._app?.client;
  if (!agent?.wp || !(agent.mapServer instanceof Map)) return Promise.resolve();
  const answers = [...agent.mapServer].map(
    ([socket, server]) =>
      new Promise<void>((resolve) => {
        const id = agent.wp.send(socket, 'ping');
        const timer = setTimeout(() => {
          server.pendingRequests.delete(id);
          resolve();
        }, timeoutMs);
        server.pendingRequests.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
      }),
  );
  return Promise.all(answers).then(() => undefined);
}

function connectOnce(srf: SrfApp, admin: DrachtioServer, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer')), timeoutMs);
    srf.once('connect', (err: Error | null, hostport: string) => {
      clearTimeout(timer);
      if (err) reject(new RefusedError(err.message));
      else resolve(hostport);
    });
    srf.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
    srf.connect({ host: admin.host, port: admin.port, secret: admin.secret });
  });
}

// ---- conversions between drachtio-srf and the project's SIP types ----

/** drachtio-server's `connect` answer: `udp/127.0.0.1:5080,tcp/127.0.0.1:5080` (maybe with `[ipv6]`). */
export function parseHostport(hostport: string): SipEndpoint[] {
  const out: SipEndpoint[] = [];
  for (const item of hostport.split(',')) {
    const m = /^\s*(udp|tcp)\/(\[[^\]]+\]|[^:]+):(\d+)\s*$/i.exec(item);
    if (!m) continue;
    out.push({
      transport: m[1]!.toLowerCase() as 'udp' | 'tcp',
      address: m[2]!.replace(/^\[|\]$/g, ''),
      port: Number(m[3]),
    });
  }
  return out;
}

function hostForUri(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** drachtio-server passes the wire text on; our parser reads it as the built-in stack would. */
function parseRaw(req: SrfRequest): SipRequest | undefined {
  const message = parseText(req.msg.raw);
  return message && isRequest(message) ? message : undefined;
}

function parseResponse(res: SrfResponseMessage | undefined): SipResponse | undefined {
  const message = parseText(res?.msg.raw);
  return message && !isRequest(message) ? message : undefined;
}

function parseText(raw: string | undefined): SipMessage | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseMessage(Buffer.from(raw, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A failed request as the roles expect it: SipRequestError for a final response, with `localFailure` set
 * when drachtio-server's stack made the 408/503 up (RFC 3261 §8.1.3.1: such a response has no To tag,
 * while one from a peer or a proxy always has one, §8.2.6.2, §16.7).
 */
function failureOf(method: string, err: unknown): Error {
  const e = err as SrfError;
  if (typeof e?.status === 'number') return responseFailure(method, e.res, e.status, e.reason ?? e.message);
  return err instanceof Error ? err : new Error(String(err));
}

/** The SipRequestError for a final non-2xx response (the message when drachtio-srf gave it). */
function responseFailure(
  method: string,
  res: SrfResponseMessage | undefined,
  status = res?.status ?? 500,
  reason = res?.reason ?? '',
): SipRequestError {
  const response = parseResponse(res) ?? syntheticResponse(status, reason);
  const toTag = /;\s*tag=/i.test(response.get('to') ?? '');
  if ((response.status === 408 || response.status === 503) && !toTag) {
    markLocalFailure(response, response.status === 408 ? 'timeout' : 'transport-error');
  }
  return new SipRequestError(method, response);
}

/** drachtio-srf reported a status without the response message: a response with just the status line. */
function syntheticResponse(status: number, reason: string): SipResponse {
  return new SipResponse(status, reason.replace(/[\r\n\0]/g, ' '));
}

/** Header fields for drachtio-srf (a name → value map): repeated names joined as a list (RFC 3261 §7.3.1). */
function toSrfHeaders(list: HeaderList | Array<[string, string]>, extra: SrfHeaders): SrfHeaders {
  const out: SrfHeaders = {};
  const add = (name: string, value: string) => {
    // Nothing reaches the wire unchecked: a CR, LF or NUL would split or end the header.
    if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(value))
      throw new Error(`header ${JSON.stringify(name)} holds CR, LF or NUL`);
    const key = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  };
  for (const [name, value] of Object.entries(extra)) add(name, value);
  for (const [name, value] of list) add(name, String(value));
  return out;
}

function bodyText(body: Buffer | string): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

function send(res: SrfResponse, status: number, options: PfResponseOptions = {}): Promise<SrfMessage> {
  const headers = toSrfHeaders(
    options.headers ?? [],
    options.contentType ? { 'Content-Type': options.contentType } : {},
  );
  return new Promise((resolve, reject) =>
    res.send(
      status,
      options.reason,
      { headers, ...(options.body !== undefined ? { body: bodyText(options.body) } : {}) },
      (err, sent) => (err ? reject(err) : resolve(sent)),
    ),
  );
}
