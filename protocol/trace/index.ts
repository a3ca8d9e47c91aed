// Wire trace: every SIP and MSRP message a node sends or receives is published as one of these.
// The lab merges them into one timeline (ladder diagrams, conformance evidence, pcap export).

export type WireProtocol = 'sip' | 'msrp';
export type WireTransport = 'udp' | 'tcp';
export type WireDirection = 'in' | 'out';

/** Read-only: a recorder keeps the publisher's object (an interned UDP source, a connection's ends). */
export interface WireAddress {
  readonly address: string;
  readonly port: number;
}

export interface WireTraceEvent {
  /** Milliseconds since the epoch, with sub-millisecond precision where available. */
  time: number;
  protocol: WireProtocol;
  direction: WireDirection;
  transport: WireTransport;
  local: WireAddress;
  remote: WireAddress;
  /** The exact bytes that crossed (or will cross) the socket. */
  raw: Buffer;
}

export type WireTraceListener = (event: WireTraceEvent) => void;

/** A tiny synchronous fan-out for trace events; listeners must not throw (errors are swallowed). */
export class WireTrace {
  readonly #listeners = new Set<WireTraceListener>();

  subscribe(listener: WireTraceListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get active(): boolean {
    return this.#listeners.size > 0;
  }

  publish(event: WireTraceEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken observer must never disturb the protocol path.
      }
    }
  }
}

export function traceTime(): number {
  return performance.timeOrigin + performance.now();
}
