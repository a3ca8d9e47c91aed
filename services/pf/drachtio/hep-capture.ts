// The PF's wire trace when drachtio-server carries its SIP: drachtio-server reports what it sends or receives as
// HEP3 over UDP (its `<capture-server>` / `--homer` setting), and this agent turns it into WireTraceEvents, so
// ladders, evidence and pcap see the PF's SIP exactly as it crossed the wire (100 Trying, retransmissions and
// ACKs included), as with the built-in stack. Its stack (sofia-sip) captures a TCP *read*, not a message: one
// packet may hold two messages, or part of one. TCP payloads therefore go through a SIP stream parser per
// flow and direction (RFC 3261 §18.3 framing), and each complete message becomes one event; a UDP datagram is
// one message.
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { decodeHep3, HEP_PROTOCOL_SIP, Hep3Error, MAX_HEP3_PACKET } from '../../../protocol/hep/index.js';
import { SipStreamParser } from '../../../protocol/sip/index.js';
import type { WireAddress, WireTrace } from '../../../protocol/trace/index.js';
import type { Logger } from '../../../runtime/index.js';

export interface HepCaptureOptions {
  host: string;
  /** 0: any free port (read `address` after start). */
  port: number;
  trace: WireTrace;
  logger: Logger;
}

/** drachtio-server's SIP endpoints (`tcp/127.0.0.1:5080`), to tell what it sent from what it received. */
export interface SipEndpoint {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
}

export class HepCapture {
  readonly #socket: Socket;
  readonly #options: HepCaptureOptions;
  #endpoints: SipEndpoint[] = [];
  /** Ephemeral sockets drachtio-server sent from (its outgoing TCP connections), learnt from the Via. */
  readonly #ownEphemeral = new Set<string>();
  /** A SIP stream parser per TCP flow and direction (Map order: least recently used first). */
  readonly #streams = new Map<string, SipStreamParser>();
  #received = 0;
  #rejected = 0;

  private constructor(socket: Socket, options: HepCaptureOptions) {
    this.#socket = socket;
    this.#options = options;
  }

  static async start(options: HepCaptureOptions): Promise<HepCapture> {
    const socket = createSocket({
      type: isIP(options.host) === 6 ? 'udp6' : 'udp4',
      recvBufferSize: 4 << 20,
    });
    const capture = new HepCapture(socket, options);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => options.logger.warn('HEP capture socket error', { error: err.message }));
    socket.on('message', (packet) => capture.#onPacket(packet));
    return capture;
  }

  get address(): WireAddress {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** Packets taken into the trace, and packets that were not HEP3 SIP. */
  get counts(): { received: number; rejected: number } {
    return { received: this.#received, rejected: this.#rejected };
  }

  /** drachtio-server's listening SIP endpoints (from its connect answer). */
  setEndpoints(endpoints: SipEndpoint[]): void {
    this.#endpoints = endpoints;
  }

  close(): void {
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
  }

  #onPacket(packet: Buffer): void {
    if (packet.length > MAX_HEP3_PACKET) return;
    const hep = decodeHep3(packet);
    if (hep instanceof Hep3Error || hep.protocolType !== HEP_PROTOCOL_SIP) {
      this.#rejected++;
      if (this.#rejected === 1 || this.#rejected % 1000 === 0) {
        this.#options.logger.warn('HEP capture: packet ignored', {
          reason: hep instanceof Hep3Error ? hep.message : `protocol type ${hep.protocolType} is not SIP`,
          ignored: this.#rejected,
        });
      }
      return;
    }
    this.#received++;
    const transport = hep.ipProtocol === 6 ? 'tcp' : 'udp';
    const messages =
      transport === 'udp' ? [hep.payload] : this.#frame(hep.source, hep.destination, hep.payload);
    for (const raw of messages) {
      const out = this.#sentByServer(transport, hep.source, hep.destination, raw);
      this.#options.trace.publish({
        time: hep.time,
        protocol: 'sip',
        direction: out ? 'out' : 'in',
        transport,
        local: out ? hep.source : hep.destination,
        remote: out ? hep.destination : hep.source,
        raw,
      });
    }
  }

  /**
   * The complete messages a TCP capture completes on its flow (keep-alive CRLFs dropped). Bytes that are not
   * SIP are traced as they came, and the flow's parser starts over. At most 4,096 flows are followed.
   */
  #frame(source: WireAddress, destination: WireAddress, payload: Buffer): Buffer[] {
    const key = `${source.address}:${source.port}>${destination.address}:${destination.port}`;
    let parser = this.#streams.get(key);
    if (parser) this.#streams.delete(key);
    else parser = new SipStreamParser();
    this.#streams.set(key, parser);
    if (this.#streams.size > 4096) this.#streams.delete(this.#streams.keys().next().value!);
    const out: Buffer[] = [];
    for (const item of parser.push(payload)) {
      if (item.kind === 'message') out.push(item.raw);
      else if (item.kind === 'error') {
        out.push(item.raw);
        if (item.fatal) this.#streams.delete(key);
      }
    }
    return out;
  }

  /**
   * Whether drachtio-server sent this message. Its listening endpoints decide when one side is one of them;
   * otherwise (its own outgoing TCP connection, from an ephemeral port) the top Via does: RFC 3261 §18.2.2
   * sends a response to the top Via, so a response whose top Via is ours came in, a request whose top Via is
   * ours went out.
   */
  #sentByServer(
    transport: 'udp' | 'tcp',
    source: WireAddress,
    destination: WireAddress,
    payload: Buffer,
  ): boolean {
    const sourceKey = `${transport}/${source.address}:${source.port}`;
    if (this.#ownEphemeral.has(sourceKey)) return true;
    if (this.#ownEphemeral.has(`${transport}/${destination.address}:${destination.port}`)) return false;
    const isOurs = (a: WireAddress) =>
      this.#endpoints.some(
        (e) => e.transport === transport && e.port === a.port && hostMatches(e.address, a.address),
      );
    if (isOurs(source)) return true;
    if (isOurs(destination)) return false;
    const via = topViaSentBy(payload);
    const viaIsOurs =
      via !== undefined &&
      this.#endpoints.some((e) => e.port === via.port && hostMatches(e.address, via.host));
    const isRequest = !payload.subarray(0, 8).toString('latin1').startsWith('SIP/2.0 ');
    const out = isRequest ? viaIsOurs : !viaIsOurs;
    if (out) this.#ownEphemeral.add(sourceKey);
    else this.#ownEphemeral.add(`${transport}/${destination.address}:${destination.port}`);
    if (this.#ownEphemeral.size > 10_000) this.#ownEphemeral.clear(); // bounded: relearnt from the next Via
    return out;
  }
}

/** An endpoint's address is `host`, or a wildcard bind (any address). */
function hostMatches(endpointAddress: string, host: string): boolean {
  return endpointAddress === host || endpointAddress === '0.0.0.0' || endpointAddress === '::';
}

/** The sent-by of the first Via header field (RFC 3261 §20.42; compact form `v`), read from the head only. */
function topViaSentBy(payload: Buffer): { host: string; port: number } | undefined {
  const headEnd = payload.indexOf('\r\n\r\n');
  const head = payload.toString('latin1', 0, headEnd < 0 ? Math.min(payload.length, 8192) : headEnd);
  const m =
    /\r\n(?:via|v)[ \t]*:[ \t]*SIP[ \t]*\/[ \t]*2\.0[ \t]*\/[ \t]*[A-Za-z]+[ \t]+(\[[^\]]+\]|[^\s;:,]+)(?::(\d+))?/i.exec(
      head,
    );
  if (!m) return undefined;
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { host, port: m[2] ? Number(m[2]) : 5060 };
}
