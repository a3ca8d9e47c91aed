// An MSRP endpoint: one TCP listener (passive connections, RFC 6135), outgoing connections for active
// sessions, the session table, and routing of incoming requests by To-Path (RFC 4975 §7.3).
import { EventEmitter } from 'node:events';
import { type Server, type Socket, connect as netConnect, createServer } from 'node:net';
import type { WireTrace } from '../trace/index.js';
import { MsrpConnection, type MsrpProtocolError } from './connection.js';
import type { MsrpRequest } from './frame.js';
import { H, failureReportOf, getHeader } from './frame.js';
import type { MsrpParserLimits } from './parser.js';
import { ByteBudget } from './reassembly.js';
import { buildResponse } from './serializer.js';
import { MsrpSession, type MsrpSessionOptions, type SessionHost } from './session.js';
import { type MsrpUri, localSessionUri, msrpUriEquals, parseMsrpPath } from './uri.js';

export interface MsrpEndpointOptions {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; default 0 (ephemeral). */
  port?: number;
  /** Host written into our session URIs; default the listening address. */
  advertisedHost?: string;
  trace?: WireTrace;
  /** Accepted connections at once; default 256. */
  maxConnections?: number;
  /** Header block bound (default 8 KiB) and chunk bound (default 1 MiB). */
  limits?: Partial<MsrpParserLimits>;
  /** Largest incoming message when a session sets no a=max-size; default 16 MiB. */
  maxMessageBytes?: number;
  /** Incomplete incoming messages per session; default 64. */
  maxPendingMessages?: number;
  /** Bytes held in incomplete incoming messages across all sessions; default 64 MiB. */
  maxPendingBytes?: number;
  /** An incomplete incoming message with no chunk for this long is dropped; default 120 000 ms. */
  incompleteTimeoutMs?: number;
  /** Outgoing chunk size; default 2048 (protocol-notes §5). */
  chunkSize?: number;
  /** Chunks of one message awaiting responses at once; default 16. */
  maxInFlight?: number;
  /** RFC 4975 §7.1.1 transaction timeout; default 30 000 ms. */
  transactionTimeoutMs?: number;
  /**
   * An accepted connection must bind to one of our sessions (its first SEND names it, RFC 4975 §5.4, RFC 6135)
   * within this long, or it is closed; default 30 000 ms. 0 disables.
   */
  bindTimeoutMs?: number;
  /** Accepted connections refused or evicted at the cap are reported once per this window; default 10 000 ms. */
  capReportIntervalMs?: number;
  /** Bytes queued for a peer before we stop reading from it (backpressure); default 1 MiB. */
  maxWriteBuffer?: number;
}

export interface MsrpEndpointEvents {
  /** A peer sent something malformed (answered 400/413, or its connection was closed). */
  'protocol-error': [error: MsrpProtocolError, connection: MsrpConnection];
  /** A socket failed (reset, refused write...). */
  'socket-error': [error: Error, connection: MsrpConnection | undefined];
  /** An accepted connection (passive side). */
  connection: [connection: MsrpConnection];
  /** One aggregated warning per window: connections refused or evicted at the cap, or closed unbound. */
  capacity: [report: { refused: number; evicted: number; unbound: number; maxConnections: number }];
}

export class MsrpEndpoint extends EventEmitter<MsrpEndpointEvents> {
  readonly #server: Server;
  readonly #options: MsrpEndpointOptions;
  readonly #sessions = new Map<string, MsrpSession>();
  readonly #connections = new Set<MsrpConnection>();
  /** Sessions using each connection; a connection nobody uses any more is closed. */
  readonly #users = new Map<MsrpConnection, Set<MsrpSession>>();
  readonly #host: SessionHost;
  /** Accepted connections not yet bound to a session, oldest first (Map keeps insertion order). */
  readonly #unbound = new Map<MsrpConnection, NodeJS.Timeout | undefined>();
  readonly #maxConnections: number;
  #report = { refused: 0, evicted: 0, unbound: 0 };
  #reportTimer: NodeJS.Timeout | undefined;
  #port = 0;
  #listening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: MsrpEndpointOptions) {
    super();
    this.#options = options;
    this.#server = createServer((socket) => this.#accept(socket));
    // The cap is ours (#accept), so that it can evict an unbound connection instead of refusing a session's.
    this.#maxConnections = options.maxConnections ?? 256;
    this.#server.on('error', (err) => this.#emitSafe('socket-error', err, undefined));
    this.#host = {
      transactionTimeoutMs: options.transactionTimeoutMs ?? 30_000,
      maxInFlight: options.maxInFlight ?? 16,
      chunkSize: options.chunkSize ?? 2048,
      maxMessageBytes: options.maxMessageBytes ?? 16 * 1024 * 1024,
      maxPendingMessages: options.maxPendingMessages ?? 64,
      reassemblyBudget: new ByteBudget(options.maxPendingBytes ?? 64 * 1024 * 1024),
      incompleteTimeoutMs: options.incompleteTimeoutMs ?? 120_000,
      connect: (host, port) => this.#connect(host, port),
      attach: (session, conn) => {
        const users = this.#users.get(conn) ?? new Set<MsrpSession>();
        this.#users.set(conn, users);
        users.add(session);
        clearTimeout(this.#unbound.get(conn));
        this.#unbound.delete(conn);
      },
      detach: (session, conn) => {
        const users = this.#users.get(conn);
        users?.delete(session);
        if (users?.size === 0) {
          this.#users.delete(conn);
          conn.close();
        }
      },
      forget: (session) => {
        const id = session.localUri.sessionId!;
        if (this.#sessions.get(id) === session) this.#sessions.delete(id);
      },
    };
  }

  /** Create an endpoint and start listening. */
  static async listen(options: MsrpEndpointOptions = {}): Promise<MsrpEndpoint> {
    const endpoint = new MsrpEndpoint(options);
    await endpoint.listening();
    return endpoint;
  }

  /**
   * An endpoint whose listener opens when first needed (`listening()`), for the many endpoints of which few
   * ever hold a session (an embedded lab's clients: one descriptor and one bind fewer each until then).
   */
  static deferred(options: MsrpEndpointOptions = {}): MsrpEndpoint {
    return new MsrpEndpoint(options);
  }

  /** Resolves once the listener is open, opening it on the first call; a failed attempt is retried next call. */
  listening(): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('MSRP endpoint is closed'));
    this.#listening ??= new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => {
        this.#server.off('error', failed).off('close', closed);
        this.#listening = undefined;
        reject(err);
      };
      // Closed before it listened: whoever waits is told, not left waiting.
      const closed = () => failed(new Error('MSRP endpoint is closed'));
      this.#server.once('error', failed).once('close', closed);
      this.#server.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1', () => {
        this.#server.off('error', failed).off('close', closed);
        const addr = this.#server.address();
        this.#port = typeof addr === 'object' && addr ? addr.port : 0;
        resolve();
      });
    });
    return this.#listening;
  }

  /** The listening port; 0 while a deferred endpoint has not opened its listener. */
  get port(): number {
    return this.#port;
  }

  get host(): string {
    return this.#options.advertisedHost ?? this.#options.host ?? '127.0.0.1';
  }

  /** Open connections (accepted and outgoing). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** A new session with a fresh URI `msrp://host:port/<session-id>;tcp` (RFC 4975 §6, §14.1). */
  createSession(options: MsrpSessionOptions): MsrpSession {
    // A URI names our listener: a deferred endpoint must have opened it first (await listening()).
    if (this.#port === 0) throw new Error('MSRP endpoint not listening yet: await listening() first');
    const session = new MsrpSession(this.#host, localSessionUri(this.host, this.#port), options);
    this.#sessions.set(session.localUri.sessionId!, session);
    return session;
  }

  /** Close every session and connection and stop listening; resolves when all sockets are closed. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#reportTimer);
      const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const s of [...this.#sessions.values()]) s.close();
      const pending = [...this.#connections].map(
        (c) => new Promise<void>((resolve) => (c.closed ? resolve() : c.once('close', () => resolve()))),
      );
      for (const c of this.#connections) c.destroy();
      await Promise.all([serverClosed, ...pending]);
    })();
    return this.#closing;
  }

  #accept(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (this.#connections.size >= this.#maxConnections) {
      // Fairness at the cap: the oldest accepted connection that never bound to a session makes room.
      const oldest = this.#unbound.keys().next();
      if (oldest.done) {
        socket.on('error', () => {});
        socket.destroy();
        this.#note('refused');
        return;
      }
      this.#dropUnbound(oldest.value, 'evicted');
    }
    const conn = this.#adopt(socket);
    const ms = this.#options.bindTimeoutMs ?? 30_000;
    const timer = ms > 0 ? setTimeout(() => this.#dropUnbound(conn, 'unbound'), ms) : undefined;
    timer?.unref();
    this.#unbound.set(conn, timer);
    this.#emitSafe('connection', conn);
  }

  #dropUnbound(conn: MsrpConnection, why: 'evicted' | 'unbound'): void {
    clearTimeout(this.#unbound.get(conn));
    this.#unbound.delete(conn);
    this.#connections.delete(conn); // counted out at once; its 'close' follows
    conn.destroy();
    this.#note(why);
  }

  #note(what: 'refused' | 'evicted' | 'unbound'): void {
    this.#report[what] += 1;
    if (this.#reportTimer) return;
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined;
      const report = { ...this.#report, maxConnections: this.#maxConnections };
      this.#report = { refused: 0, evicted: 0, unbound: 0 };
      this.#emitSafe('capacity', report);
    }, this.#options.capReportIntervalMs ?? 10_000);
    this.#reportTimer.unref();
  }

  #adopt(socket: Socket): MsrpConnection {
    const conn = new MsrpConnection(socket, {
      limits: this.#options.limits ?? {},
      trace: this.#options.trace,
      ...(this.#options.maxWriteBuffer === undefined ? {} : { maxWriteBuffer: this.#options.maxWriteBuffer }),
    });
    this.#connections.add(conn);
    conn.on('request', (req) => this.#route(conn, req));
    conn.on('stray-response', (res) => {
      for (const s of this.#users.get(conn) ?? []) s.strayResponse(res);
    });
    conn.on('protocol-error', (err) => this.#emitSafe('protocol-error', err, conn));
    conn.on('socket-error', (err) => this.#emitSafe('socket-error', err, conn));
    conn.once('close', () => {
      this.#connections.delete(conn);
      this.#users.delete(conn);
      clearTimeout(this.#unbound.get(conn));
      this.#unbound.delete(conn);
    });
    return conn;
  }

  #connect(host: string, port: number): Promise<MsrpConnection> {
    if (this.#closing) return Promise.reject(new Error('endpoint closed'));
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, this.#host.transactionTimeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(this.#adopt(socket));
      });
    });
  }

  // RFC 4975 §7.3: the leftmost To-Path URI must name one of our sessions, else 481.
  #route(conn: MsrpConnection, req: MsrpRequest): void {
    let target: MsrpUri | undefined;
    try {
      target = parseMsrpPath(getHeader(req, H.toPath) ?? '')[0];
    } catch {
      target = undefined;
    }
    const session = target?.sessionId === undefined ? undefined : this.#sessions.get(target.sessionId);
    if (target && session && msrpUriEquals(target, session.localUri)) {
      session.receive(conn, req);
      return;
    }
    // REPORTs are never answered (RFC 4975 §7.1.2); neither is Failure-Report: no.
    if (req.method === 'REPORT' || failureReportOf(req) === 'no') return;
    const from = getHeader(req, H.fromPath)?.trim().split(/\s+/)[0] ?? '';
    const to = getHeader(req, H.toPath)?.trim().split(/\s+/)[0] ?? '';
    conn.send(buildResponse(req.transactionId, target ? 481 : 400, from, to));
  }

  #emitSafe<K extends keyof MsrpEndpointEvents>(name: K, ...args: MsrpEndpointEvents[K]): void {
    try {
      (this.emit as (n: K, ...a: unknown[]) => boolean)(name, ...args);
    } catch {
      // An application listener threw; the protocol path must not be disturbed.
    }
  }
}
