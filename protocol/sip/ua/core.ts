// What the UA's parts (sessions, registrations, subscriptions) need from the UserAgent: the transaction
// layer, addressing (Contact, next hop), the dialog table and the error sink. Internal to protocol/sip/ua.
import type { Dialog } from '../dialog/index.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { TimerSettings, TransactionLayer } from '../transaction/index.js';
import type { Endpoint, SendTarget, SipTransport, TransportKind } from '../transport/index.js';
import type { HopTarget } from './target.js';
import type { Credentials } from './uac-request.js';

/** The hop a dialog was created over: in-dialog requests reuse its TCP flow when they go to the same peer. */
export interface DialogPath {
  transport: TransportKind;
  remote: Endpoint;
  flowId?: string | undefined;
}

/** A response to send (RFC 3261 §8.2.6): reason phrase, extra headers, body. */
export interface SendOptions {
  reason?: string;
  headers?: Array<[string, string | number]>;
  body?: Buffer | string;
  contentType?: string;
}

/** How a dialog usage answers an in-dialog request (ServerResponse implements it). */
export interface InDialogResponse {
  send(status: number, options?: SendOptions): Promise<boolean>;
}

/** One use of a dialog (an INVITE session or a subscription, RFC 5057 dialog usages; one per dialog here). */
export interface DialogUsage {
  readonly dialog: Dialog;
  readonly path: DialogPath;
  /** An in-dialog request whose CSeq passed §12.2.2. */
  receiveRequest(request: SipRequest, res: InDialogResponse): void;
  /** An ACK for a 2xx to INVITE (§13.3.1.4). */
  receiveAck?(ack: SipRequest): void;
  /** A 2xx to INVITE that is a retransmission (§13.2.2.4). */
  receive2xx?(response: SipResponse): void;
  /** The UA is closing: stop timers, no signalling. */
  shutdown(): void;
}

export interface UaCore {
  readonly layer: TransactionLayer;
  readonly transport: SipTransport;
  readonly timers: TimerSettings;
  readonly credentials: Credentials | undefined;
  readonly defaultTransport: TransportKind;
  /** The Contact URI for requests/responses going over `transport`. */
  contactUri(transport: TransportKind): string;
  /** The Contact header value (`<uri>`) for `transport`. */
  contact(transport: TransportKind): string;
  /** The Allow header value (RFC 3261 §20.5). */
  allow(): string;
  /** §8.1.1: a new out-of-dialog request (From with tag, To, Call-ID, CSeq, preloaded Route, Contact...). */
  buildRequest(method: string, uri: string, options: OutOfDialogOptions): SipRequest;
  /** §8.1.2: where an out-of-dialog request goes. */
  outOfDialogTarget(request: SipRequest, hop?: HopTarget): SendTarget;
  /** §12.2.1.1: where an in-dialog request goes. */
  inDialogTarget(request: SipRequest, path: DialogPath): SendTarget;
  addDialog(usage: DialogUsage): void;
  removeDialog(usage: DialogUsage): void;
  findDialog(key: string): DialogUsage | undefined;
  reportError(error: unknown): void;
}

/** Options of every out-of-dialog UAC request. */
export interface OutOfDialogOptions {
  /** To header value; default `<uri>`. */
  to?: string;
  /** From header value without tag; default the UA's identity. */
  from?: string;
  /** Extra header fields, appended in order. */
  headers?: Array<[string, string | number]>;
  body?: Buffer | string;
  contentType?: string;
  /** Next hop for this request (overrides the UA's outbound proxy / route set). */
  target?: HopTarget;
  /** Credentials for a 401/407 challenge (default the UA's). */
  credentials?: Credentials;
  /** Call-ID to use (REGISTER refreshes keep one, §10.2). */
  callId?: string;
  /** CSeq number; default 1. */
  cseq?: number;
}

export function bodyOf(body: Buffer | string | undefined): Buffer | undefined {
  return body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
