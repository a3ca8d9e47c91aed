// Dialog state and in-dialog request construction (RFC 3261 §12, §13.2.2.4).
import { SipRequest, type SipResponse } from '../message.js';
import { parseNameAddr } from '../name-addr.js';
import { formatUri, isSipUri } from '../uri.js';

export type DialogRole = 'uac' | 'uas';
/** RFC 3261 §12: early (created by a 1xx with a To tag) or confirmed (2xx). */
export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** The dialog ID a received request belongs to (the UAS view: local tag = To tag). */
export function dialogIdOfRequest(request: SipRequest): DialogId | undefined {
  const localTag = request.toTag;
  const remoteTag = request.fromTag;
  if (localTag === undefined || remoteTag === undefined) return undefined;
  return { callId: request.callId, localTag, remoteTag };
}

export class Dialog {
  readonly role: DialogRole;
  readonly id: DialogId;
  state: DialogState;
  /** Full From/To values as the local side writes them (with tags). */
  readonly localUri: string;
  readonly remoteUri: string;
  /** Route set in the order requests put them in Route (§12.1.1 UAS: Record-Route order; §12.1.2 UAC: reversed). */
  readonly routeSet: string[];
  remoteTarget: string;
  localSeq: number;
  remoteSeq: number | undefined;
  readonly secure: boolean;

  private constructor(init: {
    role: DialogRole;
    id: DialogId;
    state: DialogState;
    localUri: string;
    remoteUri: string;
    routeSet: string[];
    remoteTarget: string;
    localSeq: number;
    remoteSeq: number | undefined;
    secure: boolean;
  }) {
    this.role = init.role;
    this.id = init.id;
    this.state = init.state;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.routeSet = init.routeSet;
    this.remoteTarget = init.remoteTarget;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
  }

  /** RFC 3261 §12.1.1: the UAS creates the dialog when it sends a 1xx/2xx with a To tag. */
  static fromUas(request: SipRequest, response: SipResponse): Dialog {
    const localTag = response.toTag;
    const remoteTag = request.fromTag;
    if (localTag === undefined || remoteTag === undefined) throw new Error('dialog needs From and To tags');
    return new Dialog({
      role: 'uas',
      id: { callId: request.callId, localTag, remoteTag },
      state: response.status >= 200 ? 'confirmed' : 'early',
      localUri: response.get('to')!,
      remoteUri: request.get('from')!,
      routeSet: request.getAll('record-route'), // getAll splits the list (RFC 3261 §7.3.1)
      remoteTarget: contactUri(request),
      localSeq: 0,
      remoteSeq: request.cseq.seq,
      secure: isSipUri(request.requestUri) && request.requestUri.scheme === 'sips',
    });
  }

  /** RFC 3261 §12.1.2: the UAC creates the dialog on a 1xx/2xx with a To tag; route set reversed. */
  static fromUac(request: SipRequest, response: SipResponse): Dialog {
    const localTag = request.fromTag;
    const remoteTag = response.toTag;
    if (localTag === undefined || remoteTag === undefined) throw new Error('dialog needs From and To tags');
    return new Dialog({
      role: 'uac',
      id: { callId: request.callId, localTag, remoteTag },
      state: response.status >= 200 ? 'confirmed' : 'early',
      localUri: request.get('from')!,
      remoteUri: response.get('to')!,
      routeSet: response.getAll('record-route').reverse(),
      remoteTarget: contactUri(response),
      localSeq: request.cseq.seq,
      remoteSeq: undefined,
      secure: isSipUri(request.requestUri) && request.requestUri.scheme === 'sips',
    });
  }

  get key(): string {
    return dialogKey(this.id);
  }

  /** RFC 3261 §12.2.2: check and record a request's CSeq; false means answer 500 (out of order). */
  acceptRemoteSeq(request: SipRequest): boolean {
    if (request.method === 'ACK' || request.method === 'CANCEL') return true;
    const seq = request.cseq.seq;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  /** RFC 3261 §12.2.1.2 / §12.2.2: a target refresh (re-INVITE, UPDATE, SUBSCRIBE, NOTIFY) updates the remote target. */
  refreshTarget(message: SipRequest | SipResponse): void {
    if (message.has('contact')) this.remoteTarget = contactUri(message);
  }

  /** RFC 3261 §12.1.2: an early dialog becomes confirmed on the 2xx. */
  confirm(response: SipResponse): void {
    this.state = 'confirmed';
    this.refreshTarget(response);
  }

  /**
   * RFC 3261 §12.2.1.1: build a request within the dialog. The CSeq increments (ACK reuses the INVITE's
   * number via createAck). Route handling: loose routing when the first route has `lr`, strict otherwise.
   */
  createRequest(
    method: string,
    options: { body?: Buffer; contentType?: string; headers?: Array<[string, string | number]> } = {},
  ): SipRequest {
    this.localSeq += 1;
    return this.#build(method, this.localSeq, options);
  }

  /**
   * RFC 3261 §13.2.2.4: the ACK for a 2xx: same CSeq number as the INVITE, method ACK. It is its own
   * transaction, so whoever sends it adds a Via with a new branch. Requests built here carry no Via:
   * the transaction layer adds it.
   */
  createAck(inviteSeq: number, options: { body?: Buffer; contentType?: string } = {}): SipRequest {
    return this.#build('ACK', inviteSeq, options);
  }

  #build(
    method: string,
    seq: number,
    options: { body?: Buffer; contentType?: string; headers?: Array<[string, string | number]> },
  ): SipRequest {
    let requestUri = this.remoteTarget;
    let routes = [...this.routeSet];
    const first = routes[0];
    if (first !== undefined && !isLooseRoute(first)) {
      // §12.2.1.1 strict routing: first route becomes the Request-URI, remote target goes last.
      requestUri = formatUri(parseNameAddr(first).uri);
      routes = [...routes.slice(1), `<${this.remoteTarget}>`];
    }
    const request = new SipRequest(method, requestUri);
    request.append('Max-Forwards', 70);
    if (routes.length) request.append('Route', routes.join(', '));
    request.append('From', this.localUri);
    request.append('To', this.remoteUri);
    request.append('Call-ID', this.id.callId);
    request.append('CSeq', `${seq} ${method}`);
    for (const [name, value] of options.headers ?? []) request.append(name, value);
    if (options.body) {
      request.body = options.body;
      if (options.contentType) request.append('Content-Type', options.contentType);
    }
    return request;
  }
}

function isLooseRoute(route: string): boolean {
  const uri = parseNameAddr(route).uri;
  return isSipUri(uri) && uri.params.has('lr');
}

function contactUri(message: SipRequest | SipResponse): string {
  const contact = message.getAll('contact')[0];
  if (contact === undefined) throw new Error('a dialog-creating message needs a Contact');
  return formatUri(parseNameAddr(contact).uri);
}
