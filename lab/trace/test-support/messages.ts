// Test support: realistic SIP (RFC 3261) and MSRP (RFC 4975) messages and a small lab whose nodes record
// what they send and receive through the real TraceRecorder, with per-node clock skew and latency.

import type { WireAddress, WireProtocol, WireTransport } from '../../../protocol/trace/index.js';
import { type TraceRecord, TraceRecorder } from '../../../runtime/index.js';

export type HeaderList = readonly (readonly [string, string])[];

/** A SIP request or response with a correct Content-Length (RFC 3261 §20.14). */
export function sipMessage(startLine: string, headers: HeaderList, body = ''): Buffer {
  const bodyBytes = Buffer.from(body, 'utf8');
  const head = [startLine, ...headers.map(([n, v]) => `${n}: ${v}`), `Content-Length: ${bodyBytes.length}`];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), bodyBytes]);
}

/** An MSRP request (RFC 4975 §7.1): To-Path, From-Path first; a body-less SEND goes straight to the end-line. */
export function msrpRequest(
  tid: string,
  method: string,
  toPath: string,
  fromPath: string,
  headers: HeaderList = [],
  body?: { type: string; content: string },
): Buffer {
  const lines = [`MSRP ${tid} ${method}`, `To-Path: ${toPath}`, `From-Path: ${fromPath}`];
  for (const [n, v] of headers) lines.push(`${n}: ${v}`);
  if (body === undefined) return Buffer.from(`${lines.join('\r\n')}\r\n-------${tid}$\r\n`, 'utf8');
  lines.push(`Content-Type: ${body.type}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body.content}\r\n-------${tid}$\r\n`, 'utf8');
}

/** An MSRP response (RFC 4975 §7.2): To-Path = the request's From-Path. */
export function msrpResponse(
  tid: string,
  code: number,
  comment: string,
  toPath: string,
  fromPath: string,
): Buffer {
  return Buffer.from(
    `MSRP ${tid} ${code} ${comment}\r\nTo-Path: ${toPath}\r\nFrom-Path: ${fromPath}\r\n-------${tid}$\r\n`,
    'utf8',
  );
}

/** SDP offer/answer for an MSRP session (RFC 4975 §8, protocol-notes §4). */
export function msrpSdp(
  address: string,
  port: number,
  sessionId: string,
  direction: string,
  setup: string,
): string {
  return [
    'v=0',
    `o=- 3900000000 3900000000 IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=message ${port} TCP/MSRP *`,
    `a=path:msrp://${address}:${port}/${sessionId};tcp`,
    `a=setup:${setup}`,
    'a=accept-types:message/cpim application/group-state-object+xml',
    'a=accept-wrapped-types:text/plain message/imdn+xml',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

/** A CPIM message (RFC 3862) wrapping text, as the PF stores and delivers it (protocol-notes §6). */
export function cpimText(from: string, to: string, messageId: string, text: string): string {
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    'NS: imdn <urn:ietf:params:imdn>',
    `imdn.Message-ID: ${messageId}`,
    'DateTime: 2026-11-24T10:15:00.000Z',
    'imdn.Disposition-Notification: positive-delivery, display',
    '',
    'Content-Type: text/plain;charset=utf-8',
    '',
    text,
  ].join('\r\n');
}

export interface SendOptions {
  protocol?: WireProtocol;
  transport?: WireTransport;
  /** Sender clock time (ms). */
  at: number;
  /** One-way delay (ms, default 0.4). */
  latency?: number;
  /** Record the 'out' at the sender (default true). */
  recordOut?: boolean;
  /** Record the 'in' at the receiver (default true). */
  recordIn?: boolean;
}

export interface Party {
  node: string;
  address: WireAddress;
}

/** Nodes with real TraceRecorders; clockSkew[node] is added to every time that node records. */
export class RecordedLab {
  readonly #recorders = new Map<string, TraceRecorder>();
  constructor(readonly clockSkew: Readonly<Record<string, number>> = {}) {}

  recorder(node: string): TraceRecorder {
    let r = this.#recorders.get(node);
    if (!r) {
      r = new TraceRecorder({ node });
      this.#recorders.set(node, r);
    }
    return r;
  }

  send(from: Party, to: Party, raw: Buffer, options: SendOptions): void {
    const protocol = options.protocol ?? 'sip';
    const transport = options.transport ?? 'udp';
    if (options.recordOut ?? true) {
      this.recorder(from.node).record({
        time: options.at + (this.clockSkew[from.node] ?? 0),
        protocol,
        direction: 'out',
        transport,
        local: from.address,
        remote: to.address,
        raw,
      });
    }
    if (options.recordIn ?? true) {
      this.recorder(to.node).record({
        time: options.at + (options.latency ?? 0.4) + (this.clockSkew[to.node] ?? 0),
        protocol,
        direction: 'in',
        transport,
        local: to.address,
        remote: from.address,
        raw,
      });
    }
  }

  /** Each node's records, as a lab collects them from the nodes' control APIs. */
  records(): TraceRecord[][] {
    return [...this.#recorders.values()].map((r) => r.query({ limit: r.capacity }).records);
  }
}
