// Shared transport types: endpoints, message sources and send targets (RFC 3261 §18).
import type { SipMessage, SipResponse } from '../message.js';

export type TransportKind = 'udp' | 'tcp';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * Where a received message came from. `flowId` is set for TCP (RFC 5626 flow = the connection). Read-only: the
 * transport layer hands the same object to every datagram from one peer (a wait state keeps it 64*T1).
 */
export interface MessageSource {
  readonly transport: TransportKind;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly flowId?: string;
}

/** Where to send. For TCP, `flowId` pins the connection (fails with 'flow-closed' if it is gone). */
export interface SendTarget {
  transport: TransportKind;
  address: string;
  port: number;
  flowId?: string;
}

/** What actually happened on the wire for one send. */
export interface SentInfo {
  transport: TransportKind;
  local: Endpoint;
  remote: Endpoint;
  flowId?: string;
}

export interface FlowInfo {
  flowId: string;
  transport: 'tcp';
  local: Endpoint;
  remote: Endpoint;
  /** 'inbound': accepted by our listener; 'outbound': opened by us. */
  direction: 'inbound' | 'outbound';
}

/**
 * The part of a transport the transaction layer needs. SipTransportLayer implements it; unit tests
 * of the transaction layer use an in-memory fake.
 */
export interface SipTransport {
  on(event: 'message', listener: (message: SipMessage, source: MessageSource) => void): unknown;
  on(event: 'flow-closed', listener: (flow: FlowInfo) => void): unknown;
  off(event: 'message', listener: (message: SipMessage, source: MessageSource) => void): unknown;
  off(event: 'flow-closed', listener: (flow: FlowInfo) => void): unknown;
  /** Send one message; rejects with TransportError. */
  send(message: SipMessage, target: SendTarget): Promise<SentInfo>;
  /** Send a response to a request received from `source` (RFC 3261 §18.2.2, RFC 3581 §4). */
  sendResponse(response: SipResponse, source: MessageSource): Promise<SentInfo>;
  /** The host:port to advertise in a Via sent-by for `transport` (RFC 3261 §18.1.1), if listening. */
  sentBy(transport: TransportKind): Endpoint | undefined;
  /** The largest message the transport takes (and that peers of the lab accept); undefined: no limit known. */
  readonly maxMessageSize?: number;
}
