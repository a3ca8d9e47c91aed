// SIP transport layer (RFC 3261 §18): UDP and TCP listeners, connection reuse and flows (RFC 5626),
// received/rport (RFC 3581), response routing, malformed-input handling and wire trace.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import { connect as tcpConnect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { WireTrace, WireDirection } from '../../trace/index.js';
import { traceTime } from '../../trace/index.js';
import { SipParseError } from '../errors.js';
import type { SipMessage, SipResponse } from '../message.js';
import { parseErrorResponse, parseMessage } from '../parser.js';
import { serializeMessage } from '../serializer.js';
import type { Via } from '../via.js';
import { TransportError } from './errors.js';
import { type FlowCloseReason, TcpFlow } from './tcp-flow.js';
import type {
  Endpoint,
  FlowInfo,
  MessageSource,
  SendTarget,
  SentInfo,
  SipTransport,
  TransportKind,
} from './types.js';
import {
  normalizeAddress,
  stampReceived,
  tcpResponseFallback,
  udpResponseDestination,
} from './via-processing.js';

export interface ListenerOptions {
  /** Bind address; default 127.0.0.1. */
  host?: string;
  /** Bind port; 0 or absent → ephemeral. With both listeners ephemeral, TCP tries UDP's port first. */
  port?: number;
  /** What to write in Via sent-by (RFC 3261 §18.1.1) when the bound address is not reachable as is. */
  advertise?: { address: string; port?: number };
}

export interface TransportLayerOptions {
  udp?: ListenerOptions;
  tcp?: ListenerOptions;
  trace?: WireTrace;
  /** Bound on open TCP connections, inbound and outbound together; default 1024. */
  maxConnections?: number;
  /** Largest SIP message accepted (both transports); default 65536. */
  maxMessageSize?: number;
  /** Close a TCP connection after this long without traffic; default 900 000 ms; 0 disables. */
  idleTimeoutMs?: number;
  /** Give up on an outbound TCP connect after this long; default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Bound on bytes queued for one TCP connection; default 1 MiB. */
  maxWriteBuffer?: number;
  /**
   * An inbound connection must deliver its first complete message, and any message once started must
   * complete, within this long; otherwise it is closed (`stalled`). Default 10 000 ms; 0 disables.
   */
  messageTimeoutMs?: number;
  /** Connections refused or evicted at the cap are reported as one warning per this window; default 10 000 ms. */
  capReportIntervalMs?: number;
  /**
   * The UDP socket's receive buffer (SO_RCVBUF) in bytes; default 4 MiB. The kernel caps it at
   * net.core.rmem_max. A burst larger than the buffer is dropped by the kernel before we see it, and every
   * dropped request is a retransmission 500 ms later (the kernel's default, about 200 KB, holds ~400 requests).
   */
  udpReceiveBuffer?: number;
}

export interface MalformedInput {
  source: MessageSource;
  error: SipParseError;
  raw: Buffer;
  /** Whether a 400 was sent back (RFC 3261 §21.4.1); otherwise the input was dropped silently. */
  responded: boolean;
  /** TCP only: framing was lost and the connection is being closed. */
  fatal: boolean;
}

export interface FlowClosed extends FlowInfo {
  reason: FlowCloseReason;
}

export type TransportEvents = {
  message: [message: SipMessage, source: MessageSource];
  'flow-opened': [flow: FlowInfo];
  'flow-closed': [flow: FlowClosed];
  malformed: [input: MalformedInput];
  /** A lone CRLF arrived on a flow: the answer to our RFC 5626 §4.4.1 keep-alive ping. */
  pong: [flow: FlowInfo];
  error: [error: TransportError];
};

const DEFAULTS = {
  maxConnections: 1024,
  maxMessageSize: 65536,
  idleTimeoutMs: 900_000,
  connectTimeoutMs: 10_000,
  maxWriteBuffer: 1024 * 1024,
  messageTimeoutMs: 10_000,
  capReportIntervalMs: 10_000,
  udpReceiveBuffer: 4 * 1024 * 1024,
};

/** RFC 768 / IPv4: the largest UDP payload. */
const MAX_UDP_PAYLOAD = 65507;
/** UDP peers whose MessageSource is shared (#udpSource). */
const UDP_SOURCE_CACHE = 4096;
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * UDP + TCP SIP transport. Emits 'message' for every well-formed message received (requests with
 * received/rport already stamped), 'flow-closed' when a TCP connection goes away, 'malformed' for
 * input that was answered with 400 or dropped, and 'error' (only if someone listens) for socket errors.
 */
export class SipTransportLayer extends EventEmitter<TransportEvents> implements SipTransport {
  readonly #options: Required<Omit<TransportLayerOptions, 'udp' | 'tcp' | 'trace'>> & TransportLayerOptions;
  readonly #trace: WireTrace | undefined;
  readonly #flows = new Map<string, TcpFlow>();
  readonly #byRemote = new Map<string, TcpFlow>();
  readonly #connecting = new Map<string, Promise<TcpFlow>>();
  readonly #connectingSockets = new Set<Socket>();
  readonly #flowPrefix = randomBytes(3).toString('hex');
  #flowCounter = 0;
  /** Connections refused and evicted at the cap since the last aggregated warning (#noteRefused). */
  #refused = 0;
  #evicted = 0;
  #lastRefusedFrom = '';
  #refusalTimer: NodeJS.Timeout | undefined;
  #udp: UdpSocket | undefined;
  #udpLocal: Endpoint | undefined;
  /** One MessageSource per UDP peer (address and port), shared by its datagrams; see #udpSource. */
  readonly #udpSources = new Map<string, MessageSource>();
  #tcp: Server | undefined;
  #tcpLocal: Endpoint | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  private constructor(options: TransportLayerOptions) {
    super();
    this.#options = { ...DEFAULTS, ...stripUndefined(options) };
    this.#trace = options.trace;
  }

  /** Bind the configured listeners; rejects with TransportError('socket-error') if a bind fails. */
  static async listen(options: TransportLayerOptions): Promise<SipTransportLayer> {
    const layer = new SipTransportLayer(options);
    try {
      await layer.#bind();
    } catch (err) {
      await layer.close();
      throw err instanceof TransportError
        ? err
        : new TransportError('socket-error', `cannot bind: ${(err as Error).message}`, {}, { cause: err });
    }
    return layer;
  }

  /** Bound addresses (port 0 resolved to the ephemeral port). */
  get addresses(): { udp?: Endpoint; tcp?: Endpoint } {
    const out: { udp?: Endpoint; tcp?: Endpoint } = {};
    if (this.#udpLocal) out.udp = { ...this.#udpLocal };
    if (this.#tcpLocal) out.tcp = { ...this.#tcpLocal };
    return out;
  }

  /** RFC 3261 §18.1.1: the sent-by to put in Via for `transport` (advertised address, else the bound one). */
  sentBy(transport: TransportKind): Endpoint | undefined {
    const bound = transport === 'udp' ? this.#udpLocal : this.#tcpLocal;
    if (!bound) return undefined;
    const advertise = transport === 'udp' ? this.#options.udp?.advertise : this.#options.tcp?.advertise;
    if (advertise) return { address: advertise.address, port: advertise.port ?? bound.port };
    return { address: isWildcard(bound.address) ? firstExternalAddress() : bound.address, port: bound.port };
  }

  /** Open TCP flows. */
  flows(): FlowInfo[] {
    return [...this.#flows.values()].filter((f) => !f.closed).map((f) => ({ ...f.info }));
  }

  flow(flowId: string): FlowInfo | undefined {
    const flow = this.#flows.get(flowId);
    return flow && !flow.closed ? { ...flow.info } : undefined;
  }

  /** Close one flow (fault injection, registrar clean-up); 'flow-closed' follows with reason 'local'. */
  closeFlow(flowId: string): boolean {
    const flow = this.#flows.get(flowId);
    if (!flow || flow.closed) return false;
    flow.closeReason = 'local';
    flow.destroy();
    return true;
  }

  /** RFC 5626 §4.4.1: send a CRLFCRLF keep-alive on a flow; the peer's CRLF comes back as 'pong'. */
  async ping(flowId: string): Promise<void> {
    const flow = this.#flows.get(flowId);
    if (!flow)
      throw new TransportError('flow-closed', `flow ${flowId} is closed`, { transport: 'tcp', flowId });
    await flow.write(CRLFCRLF);
  }

  /**
   * Send a message as is (the caller owns the Via; see setTopViaTransport). UDP goes from the UDP
   * listener's socket; TCP reuses the flow named by target.flowId (or fails with 'flow-closed'), else an
   * open connection to address:port, else connects. Rejects with TransportError only.
   */
  /** The largest message this layer parses, and so the largest the lab's peers are asked to take. */
  get maxMessageSize(): number {
    return this.#options.maxMessageSize;
  }

  async send(message: SipMessage, target: SendTarget): Promise<SentInfo> {
    if (this.#closing) throw new TransportError('closed', 'transport layer is closed', targetContext(target));
    let data: Buffer;
    try {
      data = serializeMessage(message);
    } catch (err) {
      // SipSerializeError: the message would not be what it claims on the wire (header injection). Not sent.
      throw new TransportError(
        'send-failed',
        `cannot serialize message: ${(err as Error).message}`,
        targetContext(target),
        {
          cause: err,
        },
      );
    }
    if (target.transport === 'udp') return this.#sendUdp(data, target);
    const flow = await this.#flowFor(target);
    return this.#writeFlow(flow, data);
  }

  /**
   * RFC 3261 §18.2.2 / RFC 3581 §4: a response to a request received from `source`. TCP: the same
   * connection, or if it is gone a new one to received (or sent-by host) at the sent-by port. UDP:
   * maddr, else received:rport, else received:sent-by port, else sent-by (port default 5060).
   */
  async sendResponse(response: SipResponse, source: MessageSource): Promise<SentInfo> {
    let via: Via;
    try {
      via = response.topVia;
    } catch (err) {
      throw new TransportError('send-failed', 'response has no readable Via', sourceContext(source), {
        cause: err,
      });
    }
    if (source.transport === 'tcp') {
      const flow = source.flowId ? this.#flows.get(source.flowId) : undefined;
      if (flow && !flow.closed) {
        try {
          return await this.send(response, { transport: 'tcp', ...flow.info.remote, flowId: flow.id });
        } catch (err) {
          if (!(err instanceof TransportError) || err.code !== 'flow-closed') throw err;
        }
      }
      return this.send(response, { transport: 'tcp', ...tcpResponseFallback(via) });
    }
    return this.send(response, { transport: 'udp', ...udpResponseDestination(via) });
  }

  /** Close listeners and every connection; resolves when all sockets are closed. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) this.#closed = this.#shutdown();
    return this.#closed;
  }

  // ---- binding ----

  async #bind(): Promise<void> {
    const { udp, tcp } = this.#options;
    if (udp) await this.#bindUdp(udp.host ?? '127.0.0.1', udp.port ?? 0);
    if (tcp) {
      const host = tcp.host ?? '127.0.0.1';
      const wanted = tcp.port ?? 0;
      if (wanted === 0 && udp && (udp.port ?? 0) === 0) {
        // Same port number on both transports keeps one Via sent-by valid for either. The ephemeral UDP port
        // may be taken for TCP by another process: then a new UDP port is tried (5 times), then any TCP port.
        for (let attempt = 1; attempt <= 5; attempt++) {
          try {
            await this.#bindTcp(host, this.#udpLocal!.port);
            return;
          } catch {
            if (attempt === 5) break;
            this.#udp?.close();
            await this.#bindUdp(udp.host ?? '127.0.0.1', 0);
          }
        }
      }
      await this.#bindTcp(host, wanted);
    }
  }

  #bindUdp(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = createSocket({ type: isIPv6(normalizeAddress(host)) ? 'udp6' : 'udp4' });
      const onError = (err: Error) => {
        sock.close();
        reject(
          new TransportError('socket-error', `UDP bind ${host}:${port}: ${err.message}`, {}, { cause: err }),
        );
      };
      sock.once('error', onError);
      sock.bind(port, host, () => {
        sock.off('error', onError);
        try {
          sock.setRecvBufferSize(this.#options.udpReceiveBuffer);
        } catch {
          // Not permitted or not supported here: the kernel's default buffer stays.
        }
        const a = sock.address();
        this.#udp = sock;
        this.#udpLocal = { address: normalizeAddress(a.address), port: a.port };
        sock.on('message', (buf, rinfo) => this.#onDatagram(buf, rinfo));
        sock.on('error', (err) =>
          this.#emitError(
            new TransportError(
              'socket-error',
              `UDP socket: ${err.message}`,
              { transport: 'udp' },
              { cause: err },
            ),
          ),
        );
        resolve();
      });
    });
  }

  #bindTcp(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true });
      const onError = (err: Error) => {
        server.close();
        reject(
          new TransportError(
            'socket-error',
            `TCP listen ${host}:${port}: ${err.message}`,
            {},
            { cause: err },
          ),
        );
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const a = server.address();
        if (a === null || typeof a === 'string') {
          server.close();
          reject(new TransportError('socket-error', 'TCP listener has no address'));
          return;
        }
        this.#tcp = server;
        this.#tcpLocal = { address: normalizeAddress(a.address), port: a.port };
        server.on('connection', (socket) => this.#onConnection(socket));
        server.on('error', (err) =>
          this.#emitError(
            new TransportError(
              'socket-error',
              `TCP listener: ${err.message}`,
              { transport: 'tcp' },
              { cause: err },
            ),
          ),
        );
        resolve();
      });
    });
  }

  // ---- receiving ----

  #onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    try {
      const source = this.#udpSource(rinfo);
      // Bare CRLFs over UDP are keep-alive noise (RFC 5626 §4.4.2 uses STUN there): ignore.
      if (buf.length <= 8 && buf.every((b) => b === 0x0d || b === 0x0a)) return;
      this.#publish('in', source, buf);
      let message: SipMessage;
      try {
        message = parseMessage(buf, { maxMessageSize: this.#options.maxMessageSize });
      } catch (err) {
        this.#onMalformed(buf, asParseError(err), source, false);
        return;
      }
      this.#deliver(message, buf, source);
    } catch (err) {
      this.#emitError(
        new TransportError('socket-error', 'UDP receive failed', { transport: 'udp' }, { cause: err }),
      );
    }
  }

  /**
   * The source of a datagram from `peer` (and its `remote`, where we send to it), the same object for every
   * datagram of one peer: a proxy under load keeps one per finished transaction for 64*T1 (wait states), and
   * the trace one per message; it was ~100 bytes and three objects each. At most UDP_SOURCE_CACHE peers are
   * remembered; past that the cache starts again (only sharing is lost).
   */
  #udpSource(peer: { address: string; port: number }): MessageSource {
    const key = `${peer.address} ${peer.port}`;
    let source = this.#udpSources.get(key);
    if (source === undefined) {
      if (this.#udpSources.size >= UDP_SOURCE_CACHE) this.#udpSources.clear();
      source = {
        transport: 'udp',
        local: this.#udpLocal ?? { address: '', port: 0 },
        remote: { address: normalizeAddress(peer.address), port: peer.port },
      };
      this.#udpSources.set(key, source);
    }
    return source;
  }

  #onConnection(socket: Socket): void {
    try {
      // Fairness at the cap: the oldest connection that never sent a complete message makes room, so that a
      // flood of idle connections cannot keep registered users (and the PF) out.
      if (!this.#closing && this.#connectionCount() >= this.#options.maxConnections)
        this.#evictOldestUnproven();
      if (this.#closing || this.#connectionCount() >= this.#options.maxConnections) {
        socket.on('error', () => {});
        socket.destroy();
        if (!this.#closing) this.#noteRefused(normalizeAddress(socket.remoteAddress ?? ''));
        return;
      }
      const flow = this.#adopt(socket, 'inbound');
      this.#armStallTimer(flow);
    } catch (err) {
      socket.destroy();
      this.#emitError(
        new TransportError('socket-error', 'accept failed', { transport: 'tcp' }, { cause: err }),
      );
    }
  }

  #adopt(socket: Socket, direction: 'inbound' | 'outbound'): TcpFlow {
    const flowId = `tcp-${this.#flowPrefix}-${++this.#flowCounter}`;
    const flow = new TcpFlow(
      socket,
      flowId,
      direction,
      this.#options.maxMessageSize,
      this.#options.maxWriteBuffer,
    );
    this.#flows.set(flowId, flow);
    this.#byRemote.set(remoteKey(flow.info.remote), flow);
    socket.setNoDelay(true);
    if (this.#options.idleTimeoutMs > 0) {
      socket.setTimeout(this.#options.idleTimeoutMs);
      socket.on('timeout', () => {
        flow.closeReason ??= 'idle';
        flow.destroy();
      });
    }
    socket.on('data', (chunk: Buffer) => this.#onTcpData(flow, chunk));
    socket.on('error', (err) => {
      flow.closeReason ??= 'error';
      this.#emitError(
        new TransportError('socket-error', `flow ${flowId}: ${err.message}`, flowContext(flow), {
          cause: err,
        }),
      );
    });
    socket.on('close', () => this.#onFlowClosed(flow));
    this.#emitSafe('flow-opened', { ...flow.info });
    return flow;
  }

  /** Close the oldest inbound flow that has not proven itself (no complete message yet); false if none. */
  #evictOldestUnproven(): boolean {
    let oldest: TcpFlow | undefined;
    for (const f of this.#flows.values()) {
      if (f.proven || f.closed || f.info.direction !== 'inbound') continue;
      if (!oldest || f.openedAt < oldest.openedAt) oldest = f;
    }
    if (!oldest) return false;
    oldest.closeReason = 'evicted';
    oldest.destroy();
    this.#flows.delete(oldest.id); // counted out at once; its 'close' event follows
    this.#evicted += 1;
    this.#lastRefusedFrom = oldest.info.remote.address;
    this.#scheduleCapReport();
    return true;
  }

  /** One aggregated warning per window for connections refused or evicted at the cap, not one per socket. */
  #noteRefused(address: string): void {
    this.#refused += 1;
    this.#lastRefusedFrom = address;
    this.#scheduleCapReport();
  }

  #scheduleCapReport(): void {
    if (this.#refusalTimer) return;
    this.#refusalTimer = setTimeout(() => {
      this.#refusalTimer = undefined;
      const refused = this.#refused;
      const evicted = this.#evicted;
      this.#refused = 0;
      this.#evicted = 0;
      if (refused === 0 && evicted === 0) return;
      this.#emitError(
        new TransportError(
          'too-many-connections',
          `connection cap ${this.#options.maxConnections}: ${refused} inbound connection(s) refused, ${evicted} idle one(s) evicted in the last ${this.#options.capReportIntervalMs / 1000} s (last from ${this.#lastRefusedFrom})`,
          { transport: 'tcp' },
        ),
      );
    }, this.#options.capReportIntervalMs);
    this.#refusalTimer.unref();
  }

  /**
   * Slow-loris bound: while an inbound flow has not sent its first complete message, or while any flow holds
   * part of a message, it has messageTimeoutMs to complete it; then it is closed (`stalled`).
   */
  #armStallTimer(flow: TcpFlow): void {
    const ms = this.#options.messageTimeoutMs;
    if (ms <= 0 || flow.stallTimer || flow.closed) return;
    flow.stallTimer = setTimeout(() => {
      flow.stallTimer = undefined;
      if (flow.closed) return;
      if (flow.proven && flow.parser.buffered === 0) return;
      flow.closeReason = 'stalled';
      flow.destroy();
    }, ms);
    flow.stallTimer.unref();
  }

  #onTcpData(flow: TcpFlow, chunk: Buffer): void {
    try {
      if (flow.closed) return;
      // A proven flow's window runs per message; an unproven one keeps its first-message deadline however it
      // drips bytes in.
      const wasProven = flow.proven;
      if (wasProven) {
        clearTimeout(flow.stallTimer);
        flow.stallTimer = undefined;
      }
      const source: MessageSource = {
        transport: 'tcp',
        local: flow.info.local,
        remote: flow.info.remote,
        flowId: flow.id,
      };
      for (const item of flow.parser.push(chunk)) {
        if (flow.closed) return;
        switch (item.kind) {
          case 'ping':
            // RFC 5626 §4.4.1: a CRLFCRLF ping is answered with a CRLF pong.
            flow.write(CRLF).catch(() => {});
            break;
          case 'pong':
            this.#emitSafe('pong', { ...flow.info });
            break;
          case 'message':
            flow.proven = true;
            this.#publish('in', source, item.raw);
            this.#deliver(item.message, item.raw, source);
            break;
          case 'error':
            this.#publish('in', source, item.raw);
            this.#onMalformed(item.raw, item.error, source, item.fatal, flow);
            break;
        }
      }
      if (flow.proven && !wasProven) {
        clearTimeout(flow.stallTimer);
        flow.stallTimer = undefined;
      }
      if (flow.proven && flow.parser.buffered > 0) this.#armStallTimer(flow);
    } catch (err) {
      flow.closeReason ??= 'framing';
      flow.destroy();
      this.#emitError(
        new TransportError('socket-error', 'TCP receive failed', flowContext(flow), { cause: err }),
      );
    }
  }

  #deliver(message: SipMessage, raw: Buffer, source: MessageSource): void {
    if (message.isRequest) {
      try {
        // RFC 3261 §18.2.1, RFC 3581 §4
        stampReceived(message, source.remote);
      } catch (err) {
        this.#onMalformed(raw, asParseError(err), source, false);
        return;
      }
    }
    this.#emitSafe('message', message, source);
  }

  /** RFC 3261 §21.4.1: 400 for a malformed request whose Via is readable; otherwise drop. */
  #onMalformed(
    raw: Buffer,
    error: SipParseError,
    source: MessageSource,
    fatal: boolean,
    flow?: TcpFlow,
  ): void {
    let response: SipResponse | undefined;
    try {
      // RFC 3261 §17.1.1.3: an ACK is never answered, even when malformed.
      const isAck = raw.subarray(0, 4).toString('latin1') === 'ACK ';
      response = isAck ? undefined : parseErrorResponse(raw, error);
      if (response) stampReceived(response, source.remote);
    } catch {
      response = undefined;
    }
    const reportError = (err: unknown) => {
      if (err instanceof TransportError) this.#emitError(err);
    };
    if (fatal && flow) {
      // RFC 3261 §18.2.2: the 400/513 goes back on the connection the request came on, which is closed only
      // after it was written (the framing is lost: nothing more is read from it).
      flow.closeReason = 'framing';
      const answered = response
        ? this.send(response, { transport: 'tcp', ...flow.info.remote, flowId: flow.id }).catch(reportError)
        : Promise.resolve();
      void answered.finally(() => {
        flow.markClosed();
        flow.end();
      });
    } else if (response) {
      this.sendResponse(response, source).catch(reportError);
    }
    this.#emitSafe('malformed', { source, error, raw, responded: response !== undefined, fatal });
  }

  #onFlowClosed(flow: TcpFlow): void {
    flow.markClosed();
    clearTimeout(flow.stallTimer);
    this.#flows.delete(flow.id);
    for (const [key, f] of this.#byRemote) if (f === flow) this.#byRemote.delete(key);
    this.#emitSafe('flow-closed', { ...flow.info, reason: flow.closeReason ?? 'peer' });
  }

  // ---- sending ----

  async #sendUdp(data: Buffer, target: SendTarget): Promise<SentInfo> {
    const sock = this.#udp;
    const local = this.#udpLocal;
    const context = targetContext(target);
    if (!sock || !local) throw new TransportError('no-transport', 'no UDP listener', context);
    if (data.length > MAX_UDP_PAYLOAD) {
      throw new TransportError(
        'message-too-large',
        `${data.length} bytes do not fit a UDP datagram`,
        context,
      );
    }
    const source = this.#udpSource(target);
    const remote = source.remote;
    this.#publish('out', source, data);
    await new Promise<void>((resolve, reject) => {
      try {
        sock.send(data, remote.port, remote.address, (err) => {
          if (err)
            reject(new TransportError('send-failed', `UDP send: ${err.message}`, context, { cause: err }));
          else resolve();
        });
      } catch (err) {
        reject(new TransportError('send-failed', 'UDP send failed', context, { cause: err }));
      }
    });
    return { transport: 'udp', local: { ...local }, remote: { ...remote } };
  }

  async #writeFlow(flow: TcpFlow, data: Buffer): Promise<SentInfo> {
    const info = flow.info;
    if (!flow.closed) {
      this.#publish(
        'out',
        { transport: 'tcp', local: info.local, remote: info.remote, flowId: flow.id },
        data,
      );
    }
    await flow.write(data);
    return { transport: 'tcp', local: { ...info.local }, remote: { ...info.remote }, flowId: flow.id };
  }

  async #flowFor(target: SendTarget): Promise<TcpFlow> {
    if (target.flowId !== undefined) {
      const flow = this.#flows.get(target.flowId);
      if (!flow || flow.closed) {
        throw new TransportError('flow-closed', `flow ${target.flowId} is closed`, targetContext(target));
      }
      return flow;
    }
    const key = remoteKey(target);
    const open = this.#byRemote.get(key);
    if (open && !open.closed) return open;
    const pending = this.#connecting.get(key);
    if (pending) return pending;
    const connecting = this.#connect(target).finally(() => this.#connecting.delete(key));
    this.#connecting.set(key, connecting);
    return connecting;
  }

  #connect(target: SendTarget): Promise<TcpFlow> {
    const context = targetContext(target);
    if (this.#connectionCount() >= this.#options.maxConnections) {
      return Promise.reject(new TransportError('too-many-connections', 'connection limit reached', context));
    }
    return new Promise((resolve, reject) => {
      const host = normalizeAddress(target.address);
      const socket = tcpConnect({ host, port: target.port, noDelay: true });
      this.#connectingSockets.add(socket);
      const timer = setTimeout(() => fail(new Error('connect timeout')), this.#options.connectTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#connectingSockets.delete(socket);
        socket.off('error', fail);
      };
      function fail(err: Error): void {
        done();
        socket.destroy();
        reject(
          new TransportError('connect-failed', `connect ${host}:${target.port}: ${err.message}`, context, {
            cause: err,
          }),
        );
      }
      socket.once('error', fail);
      socket.once('connect', () => {
        done();
        if (this.#closing) {
          socket.destroy();
          reject(new TransportError('closed', 'transport layer is closed', context));
          return;
        }
        const flow = this.#adopt(socket, 'outbound');
        this.#byRemote.set(remoteKey(target), flow);
        resolve(flow);
      });
    });
  }

  #connectionCount(): number {
    return this.#flows.size + this.#connectingSockets.size;
  }

  // ---- plumbing ----

  #publish(direction: WireDirection, source: MessageSource, raw: Buffer): void {
    if (!this.#trace?.active) return;
    this.#trace.publish({
      time: traceTime(),
      protocol: 'sip',
      direction,
      transport: source.transport,
      local: source.local,
      remote: source.remote,
      raw,
    });
  }

  #emitSafe<K extends Exclude<keyof TransportEvents, 'error'>>(event: K, ...args: TransportEvents[K]): void {
    try {
      // The cast bridges EventEmitter's generic key type and our event map (same tuple types).
      (this.emit as (e: K, ...a: TransportEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#emitError(new TransportError('socket-error', `a '${event}' listener threw`, {}, { cause: err }));
    }
  }

  #emitError(error: TransportError): void {
    // An 'error' event without listeners would throw; socket errors are then only dropped.
    if (this.listenerCount('error') === 0) return;
    try {
      this.emit('error', error);
    } catch {
      // a throwing error listener must not reach the socket handler
    }
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#refusalTimer);
    const waits: Promise<void>[] = [];
    for (const socket of this.#connectingSockets) socket.destroy();
    for (const flow of this.#flows.values()) {
      flow.closeReason ??= 'shutdown';
      if (!flow.socket.closed)
        waits.push(new Promise((resolve) => flow.socket.once('close', () => resolve())));
      flow.destroy();
    }
    const udp = this.#udp;
    if (udp) waits.push(new Promise((resolve) => udp.close(() => resolve())));
    const tcp = this.#tcp;
    if (tcp) waits.push(new Promise((resolve) => tcp.close(() => resolve())));
    await Promise.all(waits);
    // libuv releases closed handles on the next loop turn; resolve only once they are gone.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function asParseError(err: unknown): SipParseError {
  if (err instanceof SipParseError) return err;
  return new SipParseError('header', err instanceof Error ? err.message : String(err));
}

function remoteKey(endpoint: { address: string; port: number }): string {
  return `${normalizeAddress(endpoint.address)}|${endpoint.port}`;
}

function targetContext(target: SendTarget) {
  const context: { transport: TransportKind; address: string; port: number; flowId?: string } = {
    transport: target.transport,
    address: target.address,
    port: target.port,
  };
  if (target.flowId !== undefined) context.flowId = target.flowId;
  return context;
}

function sourceContext(source: MessageSource) {
  const context: { transport: TransportKind; address: string; port: number; flowId?: string } = {
    transport: source.transport,
    address: source.remote.address,
    port: source.remote.port,
  };
  if (source.flowId !== undefined) context.flowId = source.flowId;
  return context;
}

function flowContext(flow: TcpFlow) {
  return {
    transport: 'tcp' as const,
    address: flow.info.remote.address,
    port: flow.info.remote.port,
    flowId: flow.id,
  };
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function firstExternalAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
