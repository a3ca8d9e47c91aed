// An MSRP session (RFC 4975 §5, RFC 6135): our URI, the peer's path, the connection it is bound to,
// outgoing messages, reassembly of incoming ones, responses and REPORTs.
import { EventEmitter } from 'node:events';
import { type ByteRange, formatByteRange, parseByteRange } from './byte-range.js';
import type { MsrpConnection } from './connection.js';
import { isAcceptedType } from './content-type.js';
import { MsrpConnectError } from './errors.js';
import type { MsrpHeader, MsrpRequest, MsrpResponse } from './frame.js';
import {
  H,
  failureReportOf,
  formatStatus,
  getHeader,
  newMessageId,
  parseStatus,
  successReportOf,
} from './frame.js';
import { OutgoingMessage, type OutgoingPort, type SendOptions, type SendResult } from './outgoing.js';
import { type ByteBudget, Reassembler } from './reassembly.js';
import { buildRequest, buildResponse } from './serializer.js';
import { type MsrpUri, formatMsrpPath, formatMsrpUri, msrpPathEquals, parseMsrpPath } from './uri.js';

/** RFC 6135 / RFC 4145 a=setup, resolved: `active` connects, `passive` waits for the peer. */
export type SetupRole = 'active' | 'passive';

export type SessionState =
  /** Created; start() not yet called. */
  | 'idle'
  /** Active side: connecting and sending the binding SEND. */
  | 'connecting'
  /** Passive side: waiting for the peer's first SEND on an incoming connection. */
  | 'waiting'
  | 'bound'
  | 'closed';

export type SessionEvent =
  | { kind: 'start'; role: SetupRole }
  | { kind: 'bound' }
  | { kind: 'bind-failed' }
  | { kind: 'connection-lost' }
  | { kind: 'close' };

/** The session's one transition function. */
export function sessionTransition(state: SessionState, event: SessionEvent): SessionState {
  if (state === 'closed') return state;
  switch (event.kind) {
    case 'start':
      return state === 'idle' ? (event.role === 'active' ? 'connecting' : 'waiting') : state;
    case 'bound':
      return state === 'connecting' || state === 'waiting' ? 'bound' : state;
    case 'bind-failed':
    case 'connection-lost':
    case 'close':
      return 'closed';
  }
}

export interface MsrpMessage {
  messageId: string;
  contentType: string | undefined;
  body: Buffer;
  /** The header fields of the chunk that completed the message. */
  headers: MsrpHeader[];
}

export interface MsrpReport {
  messageId: string;
  status: number;
  comment: string | undefined;
  byteRange: ByteRange | undefined;
  headers: MsrpHeader[];
}

export interface MsrpSessionEvents {
  /** A complete incoming message (RFC 4975 §7.3). */
  message: [message: MsrpMessage];
  /** An incoming REPORT (RFC 4975 §7.1.2); never answered. */
  report: [report: MsrpReport];
  /** Bound to a connection (RFC 6135). */
  bound: [];
  /** The session ended: closed locally or its connection went away. */
  close: [];
}

export interface MsrpSessionOptions {
  setup: SetupRole;
  /** a=accept-types; default `*`. */
  acceptTypes?: string[];
  /** Our a=max-size: the largest incoming message; default from the endpoint. */
  maxSize?: number;
  /** The peer's a=max-size: sends larger than this are refused with 413 before any octet is sent. */
  peerMaxSize?: number;
  /** Chunk size for sends; default from the endpoint (2048). */
  chunkSize?: number;
  /** See MsrpSession.acceptor: hold the final 200 of each message until the application has it safe. */
  acceptor?: MessageAcceptor;
}

/**
 * Called with each complete incoming message before the 200 to its last chunk goes out (RFC 4975 §7.3:
 * the receiver answers when it has taken responsibility for the chunk). Resolve with nothing (200) or an
 * MSRP status to answer instead (e.g. 415, 500); a throw answers 500. Only accepted messages are emitted.
 */
export type MessageAcceptor = (message: MsrpMessage) => Promise<number | undefined> | number | undefined;

/** What a session needs from its endpoint. */
export interface SessionHost {
  readonly transactionTimeoutMs: number;
  readonly maxInFlight: number;
  readonly chunkSize: number;
  readonly maxMessageBytes: number;
  readonly maxPendingMessages: number;
  /** The node's budget for bytes held in incomplete messages (every session of the endpoint). */
  readonly reassemblyBudget: ByteBudget;
  /** An incomplete message with no chunk for this long is dropped. */
  readonly incompleteTimeoutMs: number;
  connect(host: string, port: number): Promise<MsrpConnection>;
  attach(session: MsrpSession, connection: MsrpConnection): void;
  detach(session: MsrpSession, connection: MsrpConnection): void;
  forget(session: MsrpSession): void;
}

export class MsrpSession extends EventEmitter<MsrpSessionEvents> {
  readonly localUri: MsrpUri;
  readonly #host: SessionHost;
  readonly #acceptTypes: string[];
  readonly #peerMaxSize: number | undefined;
  readonly #chunkSize: number;
  readonly #reassembler: Reassembler;
  readonly #outgoing = new Map<string, OutgoingMessage>();
  /** Chunks sent without a transaction (Failure-Report: partial): tid → message, while it is pending. */
  readonly #untracked = new Map<string, OutgoingMessage>();
  /** Holds each message's final 200 until the application has taken it (MessageAcceptor); settable later. */
  acceptor: MessageAcceptor | undefined;
  #state: SessionState = 'idle';
  #setup: SetupRole;
  #peerPath: MsrpUri[] | undefined;
  #connection: MsrpConnection | undefined;
  #waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #onConnClose = (): void => this.#dispatch({ kind: 'connection-lost' });

  constructor(host: SessionHost, localUri: MsrpUri, options: MsrpSessionOptions) {
    super();
    this.#host = host;
    this.localUri = localUri;
    this.#setup = options.setup;
    this.#acceptTypes = options.acceptTypes ?? ['*'];
    this.#peerMaxSize = options.peerMaxSize;
    this.#chunkSize = options.chunkSize ?? host.chunkSize;
    this.acceptor = options.acceptor;
    this.#reassembler = new Reassembler({
      maxMessageBytes: options.maxSize ?? host.maxMessageBytes,
      maxPendingMessages: host.maxPendingMessages,
      nodeBudget: host.reassemblyBudget,
      incompleteTimeoutMs: host.incompleteTimeoutMs,
    });
  }

  /** The largest chunk this session sends: a body up to this size goes out as one SEND. */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The connection role: fixed at start() (an actpass offerer learns it from the answer, RFC 4145 §4.1). */
  get setup(): SetupRole {
    return this.#setup;
  }

  /** Our URI as it goes into a=path and From-Path. */
  get localPath(): string {
    return formatMsrpUri(this.localUri);
  }

  get peerPath(): readonly MsrpUri[] | undefined {
    return this.#peerPath;
  }

  get connection(): MsrpConnection | undefined {
    return this.#connection;
  }

  /**
   * Bind the session (RFC 6135): the active side connects to the first URI of the peer's a=path and
   * sends an empty SEND (RFC 4975 §5.4); the passive side waits for the peer's first SEND.
   * `role` overrides the role given at creation: an offerer of a=setup:actpass takes the role the answer left
   * it (RFC 4145 §4.1: answer passive → we connect). Resolves once bound; rejects with MsrpConnectError.
   */
  start(peerPath: string | MsrpUri | readonly MsrpUri[], role?: SetupRole): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new MsrpConnectError(`session is ${this.#state}`));
    if (role !== undefined) this.#setup = role;
    let path: MsrpUri[];
    try {
      path =
        typeof peerPath === 'string'
          ? parseMsrpPath(peerPath)
          : Array.isArray(peerPath)
            ? [...peerPath]
            : [peerPath as MsrpUri];
    } catch (err) {
      return Promise.reject(new MsrpConnectError('bad peer path', undefined, { cause: err }));
    }
    this.#peerPath = path;
    const bound = new Promise<void>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    this.#dispatch({ kind: 'start', role: this.setup });
    if (this.setup === 'active') this.#connectActive(path[0]!);
    return bound;
  }

  /** Send a message and wait for its confirmation (see OutgoingMessage). */
  send(body: Buffer | string, options: SendOptions): Promise<SendResult> {
    return this.sendMessage(body, options).done;
  }

  /** Start sending a message; the handle can abort it. */
  sendMessage(body: Buffer | string, options: SendOptions): OutgoingMessage {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const messageId = options.messageId ?? newMessageId();
    const message = new OutgoingMessage(this.#port(), bytes, messageId, options);
    if (this.#state !== 'bound' || !this.#connection) {
      message.onConnectionLost();
      return message;
    }
    if (this.#peerMaxSize !== undefined && bytes.length > this.#peerMaxSize) {
      // RFC 4975 §8.6: never send more than the peer's a=max-size.
      message.onErrorResponse(413, "larger than the peer's max-size");
      return message;
    }
    this.#outgoing.set(messageId, message);
    message.pump();
    return message;
  }

  /** End the session: pending sends fail, the connection is released. */
  close(): void {
    this.#dispatch({ kind: 'close' });
  }

  #port(): OutgoingPort {
    const session = this;
    return {
      get toPath() {
        return formatMsrpPath(session.#peerPath ?? []);
      },
      get fromPath() {
        return session.localPath;
      },
      request: (req, onOutcome) => {
        const conn = this.#connection;
        if (!conn || conn.closed) return false;
        conn.request(req, this.#host.transactionTimeoutMs, onOutcome);
        return true;
      },
      send: (req, message) => {
        const ok = this.#connection?.send(req) ?? false;
        if (ok && message) this.#untracked.set(req.transactionId, message);
        return ok;
      },
      startTimer: (ms, fn) => setTimeout(fn, ms),
      timeoutMs: this.#host.transactionTimeoutMs,
      chunkSize: this.#chunkSize,
      maxInFlight: this.#host.maxInFlight,
      finished: (m) => {
        if (this.#outgoing.get(m.messageId) === m) this.#outgoing.delete(m.messageId);
        for (const [tid, owner] of this.#untracked) if (owner === m) this.#untracked.delete(tid);
      },
    };
  }

  #dispatch(event: SessionEvent): void {
    const before = this.#state;
    const next = sessionTransition(before, event);
    if (next === before) return;
    this.#state = next;
    if (next === 'bound') {
      this.#waiter?.resolve();
      this.#waiter = undefined;
      this.#emitSafe('bound');
    } else if (next === 'closed') {
      this.#waiter?.reject(
        new MsrpConnectError(event.kind === 'close' ? 'session closed' : 'connection lost'),
      );
      this.#waiter = undefined;
      for (const m of [...this.#outgoing.values()]) m.onConnectionLost();
      this.#outgoing.clear();
      this.#reassembler.clear(); // incomplete messages die with the session; their bytes go back to the node
      const conn = this.#connection;
      this.#connection = undefined;
      if (conn) {
        conn.off('close', this.#onConnClose);
        this.#host.detach(this, conn);
      }
      this.#host.forget(this);
      this.#emitSafe('close');
    }
  }

  #bind(conn: MsrpConnection): void {
    this.#connection = conn;
    conn.on('close', this.#onConnClose);
    this.#host.attach(this, conn);
    this.#dispatch({ kind: 'bound' });
  }

  // RFC 6135 §4 / RFC 4975 §5.4: the active side opens the connection and binds it with an empty SEND.
  #connectActive(peer: MsrpUri): void {
    const fail = (err: MsrpConnectError): void => {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      this.#dispatch({ kind: 'bind-failed' });
      waiter?.reject(err);
    };
    const host = peer.host.startsWith('[') ? peer.host.slice(1, -1) : peer.host;
    this.#host.connect(host, peer.port ?? 2855).then(
      (conn) => {
        if (this.#state !== 'connecting') {
          conn.close();
          return;
        }
        this.#host.attach(this, conn);
        const req = buildRequest({
          method: 'SEND',
          toPath: formatMsrpPath(this.#peerPath!),
          fromPath: this.localPath,
          headers: [{ name: H.messageId, value: newMessageId() }],
        });
        conn.request(req, this.#host.transactionTimeoutMs, (outcome) => {
          if (this.#state !== 'connecting') return;
          if (outcome.kind === 'response' && outcome.response.status === 200) {
            this.#bind(conn);
            return;
          }
          this.#host.detach(this, conn);
          if (outcome.kind === 'response')
            fail(
              new MsrpConnectError(
                `binding SEND answered ${outcome.response.status}`,
                outcome.response.status,
              ),
            );
          else if (outcome.kind === 'timeout')
            fail(new MsrpConnectError('binding SEND timed out (408)', 408));
          else fail(new MsrpConnectError('connection lost while binding'));
        });
      },
      (err: unknown) => {
        if (this.#state === 'connecting')
          fail(new MsrpConnectError(`cannot connect to ${formatMsrpUri(peer)}`, undefined, { cause: err }));
      },
    );
  }

  /**
   * An incoming request whose To-Path names this session (RFC 4975 §7.3). Binds a waiting passive
   * session to the connection (RFC 6135); checks From-Path against the peer's path (481).
   */
  receive(conn: MsrpConnection, req: MsrpRequest): void {
    const isReport = req.method === 'REPORT';
    let fromPath: MsrpUri[];
    try {
      fromPath = parseMsrpPath(getHeader(req, H.fromPath) ?? '');
    } catch {
      if (!isReport) this.#respond(conn, req, 400);
      return;
    }
    const peerOk = this.#peerPath !== undefined && msrpPathEquals(fromPath, this.#peerPath);
    if (conn !== this.#connection) {
      if (this.#state === 'waiting' && peerOk) this.#bind(conn);
      else {
        if (!isReport) this.#respond(conn, req, 481);
        return;
      }
    } else if (!peerOk) {
      if (!isReport) this.#respond(conn, req, 481);
      return;
    }
    switch (req.method) {
      case 'SEND':
        this.#onSend(conn, req);
        return;
      case 'REPORT':
        this.#onReport(req);
        return;
      default:
        // RFC 4975 §7.3 / §12: unknown methods get 501.
        this.#respond(conn, req, 501);
    }
  }

  /** A response that matched no transaction: an error for a Failure-Report: partial send. */
  strayResponse(res: MsrpResponse): void {
    const message = this.#untracked.get(res.transactionId);
    if (message && res.status !== 200) message.onErrorResponse(res.status, res.comment);
  }

  // RFC 4975 §7.3 receiving a SEND.
  #onSend(conn: MsrpConnection, req: MsrpRequest): void {
    const messageId = getHeader(req, H.messageId)?.trim();
    const rangeText = getHeader(req, H.byteRange);
    const contentType = getHeader(req, H.contentType)?.trim();
    if (req.body === undefined && rangeText === undefined && req.flag === '$') {
      // An empty SEND (binding or keep-alive, RFC 4975 §5.4 / §7.1): acknowledge, nothing to deliver.
      this.#respond(conn, req, 200);
      return;
    }
    if (messageId === undefined || messageId === '') {
      this.#respond(conn, req, 400, 'Message-ID missing');
      return;
    }
    const range = rangeText === undefined ? undefined : parseByteRange(rangeText);
    if (rangeText !== undefined && range === undefined) {
      this.#respond(conn, req, 400, 'bad Byte-Range');
      return;
    }
    const body = req.body ?? Buffer.alloc(0);
    // RFC 4975 §7.3: 415 for a type outside a=accept-types.
    if (contentType !== undefined && req.flag !== '#' && !isAcceptedType(contentType, this.#acceptTypes)) {
      this.#reassembler.discard(messageId);
      this.#respond(conn, req, 415);
      return;
    }
    const outcome = this.#reassembler.add(messageId, range, req.flag, body, contentType);
    switch (outcome.state) {
      case 'partial':
      case 'aborted':
        this.#respond(conn, req, 200);
        return;
      case 'too-large':
        this.#respond(conn, req, 413, outcome.reason);
        return;
      case 'invalid':
        this.#respond(conn, req, 400, outcome.reason);
        return;
      case 'complete': {
        const message: MsrpMessage = {
          messageId,
          contentType: outcome.contentType,
          body: outcome.body,
          headers: req.headers,
        };
        if (this.acceptor) {
          void this.#accept(conn, req, message, this.acceptor);
          return;
        }
        this.#respond(conn, req, 200);
        if (successReportOf(req)) this.#sendSuccessReport(conn, req, messageId, outcome.body.length);
        this.#emitSafe('message', message);
        return;
      }
    }
  }

  /** The acceptor decides the final chunk's response; on 200 the success REPORT and the event follow. */
  async #accept(
    conn: MsrpConnection,
    req: MsrpRequest,
    message: MsrpMessage,
    acceptor: MessageAcceptor,
  ): Promise<void> {
    let status: number;
    try {
      status = (await acceptor(message)) ?? 200;
    } catch {
      status = 500;
    }
    if (this.state === 'closed') return;
    this.#respond(conn, req, status);
    if (status !== 200) return;
    if (successReportOf(req)) this.#sendSuccessReport(conn, req, message.messageId, message.body.length);
    this.#emitSafe('message', message);
  }

  // RFC 4975 §7.1.2: Success-Report: yes → REPORT with Status 000 200 OK for the whole message.
  #sendSuccessReport(conn: MsrpConnection, req: MsrpRequest, messageId: string, total: number): void {
    conn.send(
      buildRequest({
        method: 'REPORT',
        toPath: getHeader(req, H.fromPath)!,
        fromPath: this.localPath,
        headers: [
          { name: H.messageId, value: messageId },
          { name: H.byteRange, value: formatByteRange({ start: 1, end: total, total }) },
          { name: H.status, value: formatStatus(200) },
        ],
      }),
    );
  }

  // RFC 4975 §7.1.2: REPORTs are never answered; a Status for one of our messages settles it.
  #onReport(req: MsrpRequest): void {
    const messageId = getHeader(req, H.messageId)?.trim();
    const status = parseStatus(getHeader(req, H.status) ?? '');
    if (messageId === undefined || status === undefined) return;
    const rangeText = getHeader(req, H.byteRange);
    this.#emitSafe('report', {
      messageId,
      status: status.code,
      comment: status.comment,
      byteRange: rangeText === undefined ? undefined : parseByteRange(rangeText),
      headers: req.headers,
    });
    this.#outgoing.get(messageId)?.onReport(status.code, status.comment);
  }

  /**
   * RFC 4975 §7.2: To-Path = the request's From-Path, From-Path = our URI, no body; honours
   * Failure-Report (§7.1.2): `no` → never, `partial` → errors only.
   */
  #respond(conn: MsrpConnection, req: MsrpRequest, status: number, comment?: string): void {
    const policy = failureReportOf(req);
    if (policy === 'no' || (policy === 'partial' && status === 200)) return;
    const to = getHeader(req, H.fromPath)!.trim().split(/\s+/)[0]!;
    conn.send(buildResponse(req.transactionId, status, to, this.localPath, comment));
  }

  #emitSafe<K extends keyof MsrpSessionEvents>(name: K, ...args: MsrpSessionEvents[K]): void {
    try {
      (this.emit as (n: K, ...a: unknown[]) => boolean)(name, ...args);
    } catch {
      // An application listener threw; the protocol path must not be disturbed.
    }
  }
}
