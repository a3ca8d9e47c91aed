// SIP-specific event notification (RFC 6665). Subscriber: SUBSCRIBE, dialog from the 2xx or the first
// NOTIFY (§4.1.2.4), NOTIFY → 200, refresh at half the granted Expires (§4.1.2.2), unsubscribe with
// Expires: 0 (§4.1.2.3), `Subscription-State: terminated` ends it (§4.1.3). Notifier: accept a SUBSCRIBE
// (§4.2.1), NOTIFY within the dialog (§4.2.2), refresh/unsubscribe/expiry (§4.2.1.2–§4.2.1.4, §4.2.2).
import { EventEmitter } from 'node:events';
import { Dialog } from '../dialog/index.js';
import { createResponse } from '../builders.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { DialogPath, DialogUsage, OutOfDialogOptions, UaCore } from './core.js';
import { SipRequestError, UaError } from './errors.js';
import { buildInDialog, sendInDialog } from './in-dialog.js';
import { type SendOptions, ServerResponse } from './server-response.js';
import { sendWithDigest } from './uac-request.js';

export type SubscriptionStateValue = 'pending' | 'active' | 'terminated';

/** RFC 6665 §8.2.3 Subscription-State: `active;expires=600`, `terminated;reason=timeout`. */
export interface SubscriptionState {
  state: SubscriptionStateValue | string;
  expires?: number;
  reason?: string;
}

export function parseSubscriptionState(value: string | undefined): SubscriptionState | undefined {
  if (value === undefined) return undefined;
  const [head, ...params] = value.split(';').map((p) => p.trim());
  if (!head) return undefined;
  const out: SubscriptionState = { state: head.toLowerCase() };
  for (const p of params) {
    const [name, v] = p.split('=').map((x) => x.trim());
    if (name?.toLowerCase() === 'expires' && v && /^\d+$/.test(v)) out.expires = Number(v);
    if (name?.toLowerCase() === 'reason' && v) out.reason = v.toLowerCase();
  }
  return out;
}

function formatState(state: SubscriptionStateValue, expires: number, reason?: string): string {
  if (state === 'terminated') return reason ? `terminated;reason=${reason}` : 'terminated';
  return `${state};expires=${Math.max(0, Math.round(expires))}`;
}

function eventOf(message: SipRequest | SipResponse): string | undefined {
  return message.get('event')?.split(';')[0]?.trim().toLowerCase();
}

// ---------------------------------------------------------------- subscriber

export interface SubscribeOptions extends OutOfDialogOptions {
  /** Event package (RFC 6665 §8.2.1), e.g. `conference`, `presence`. */
  event: string;
  /** Requested duration in seconds; default 3600. */
  expires?: number;
  /** Accept header (the bodies wanted in NOTIFY). */
  accept?: string;
  /** Called for every NOTIFY, including one that arrives before the 2xx to SUBSCRIBE. */
  onNotify?: (notify: SipRequest, state: SubscriptionState | undefined) => void;
}

export type SubscriptionEvents = {
  notify: [notify: SipRequest, state: SubscriptionState | undefined];
  refreshed: [expires: number];
  terminated: [reason: string | undefined];
};

export class Subscription extends EventEmitter<SubscriptionEvents> implements DialogUsage {
  readonly event: string;
  #dialog: Dialog | undefined;
  #path: DialogPath;
  #state: SubscriptionStateValue = 'pending';
  #expires: number;
  #timer: NodeJS.Timeout | undefined;
  readonly #core: UaCore;
  readonly #options: SubscribeOptions;
  readonly #subscribe: SipRequest;

  /** Use UserAgent.subscribe(). */
  constructor(core: UaCore, subscribe: SipRequest, path: DialogPath, options: SubscribeOptions) {
    super();
    this.#core = core;
    this.#subscribe = subscribe;
    this.#path = path;
    this.#options = options;
    this.event = options.event.toLowerCase();
    this.#expires = options.expires ?? 3600;
  }

  get dialog(): Dialog {
    if (!this.#dialog) throw new UaError('terminated', 'the subscription has no dialog yet');
    return this.#dialog;
  }

  get path(): DialogPath {
    return this.#path;
  }

  get state(): SubscriptionStateValue {
    return this.#state;
  }

  /** Seconds granted by the last 2xx. */
  get expires(): number {
    return this.#expires;
  }

  /** Internal: the 2xx to the initial SUBSCRIBE (§4.1.2.1). */
  established(request: SipRequest, response: SipResponse, path: DialogPath): void {
    this.#path = path;
    if (!this.#dialog) {
      this.#dialog = Dialog.fromUac(request, response);
      this.#core.addDialog(this);
    }
    if (this.#state === 'pending') this.#state = 'active';
    this.#grant(response);
  }

  /** Internal: §4.1.2.4 a NOTIFY arrived before the 2xx: it creates the dialog (we act as its UAS). */
  createDialogFromNotify(notify: SipRequest, path: DialogPath): void {
    if (this.#dialog) return;
    const ok = createResponse(notify, 200); // To already carries our tag
    const dialog = Dialog.fromUas(notify, ok);
    // Our next SUBSCRIBE continues the sequence (+1 covers a digest retry of the initial SUBSCRIBE).
    dialog.localSeq = this.#subscribe.cseq.seq + 1;
    this.#dialog = dialog;
    this.#path = path;
    this.#core.addDialog(this);
  }

  receiveRequest(request: SipRequest, res: ServerResponse): void {
    if (request.method !== 'NOTIFY') {
      void res.send(405);
      return;
    }
    // §4.1.3: a NOTIFY for another event package is not ours (489 Bad Event).
    if (eventOf(request) !== this.event) {
      void res.send(489);
      return;
    }
    this.dialog.refreshTarget(request); // §4.1.3: NOTIFY is a target refresh
    void res.send(200);
    const state = parseSubscriptionState(request.get('subscription-state'));
    if (state?.state === 'active' || state?.state === 'pending') this.#state = state.state;
    this.#call(() => this.#options.onNotify?.(request, state));
    this.#emit('notify', request, state);
    if (state?.state === 'terminated') this.#end(state.reason);
  }

  /** §4.1.2.2: refresh (in-dialog SUBSCRIBE). Resolves with the 2xx; rejects with SipRequestError. */
  async refresh(expires = this.#options.expires ?? 3600): Promise<SipResponse> {
    const response = await this.#send(expires);
    this.#grant(response);
    this.#emit('refreshed', this.#expires);
    return response;
  }

  /** §4.1.2.3: unsubscribe (Expires: 0); the notifier's final NOTIFY then ends the subscription. */
  async unsubscribe(): Promise<SipResponse | undefined> {
    this.#clearTimer();
    if (this.#state === 'terminated') return undefined;
    return this.#send(0);
  }

  shutdown(): void {
    this.#clearTimer();
    this.#state = 'terminated';
    if (this.#dialog) this.#core.removeDialog(this);
  }

  async #send(expires: number): Promise<SipResponse> {
    if (this.#state === 'terminated') throw new UaError('terminated', 'the subscription is over');
    const request = buildInDialog(this.#core, this, 'SUBSCRIBE', {
      headers: [
        ['Event', this.#options.event],
        ['Expires', expires],
        ...(this.#options.accept ? ([['Accept', this.#options.accept]] as Array<[string, string]>) : []),
      ],
    });
    const { response, ended } = await sendInDialog(this.#core, this, request);
    if (ended) this.#end('dialog-gone');
    if (response.status >= 300) throw new SipRequestError('SUBSCRIBE', response);
    return response;
  }

  /** §4.1.2.1: the 2xx Expires is the granted duration; refresh at half of it. */
  #grant(response: SipResponse): void {
    const value = response.get('expires');
    if (value !== undefined && /^\s*\d+\s*$/.test(value)) this.#expires = Number(value);
    this.#clearTimer();
    if (this.#expires <= 0 || this.#state === 'terminated') return;
    this.#timer = setTimeout(
      () => {
        this.refresh().catch((err: unknown) => this.#core.reportError(err));
      },
      (this.#expires * 1000) / 2,
    );
    this.#timer.unref();
  }

  #end(reason: string | undefined): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#clearTimer();
    if (this.#dialog) this.#core.removeDialog(this);
    this.#emit('terminated', reason);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#core.reportError(err);
    }
  }

  #emit<K extends keyof SubscriptionEvents>(event: K, ...args: SubscriptionEvents[K]): void {
    // The cast bridges EventEmitter's generic key type and our event map (same tuple types).
    this.#call(() => (this.emit as (e: K, ...a: SubscriptionEvents[K]) => boolean)(event, ...args));
  }
}

/**
 * RFC 6665 §4.1.2.1: send the SUBSCRIBE; resolves once a 2xx arrived (the dialog may already exist from
 * an early NOTIFY). `register`/`unregister` hook the pending subscription into the UA so that such a
 * NOTIFY (To tag = our From tag, no dialog yet) finds it.
 */
export async function subscribe(
  core: UaCore,
  uri: string,
  options: SubscribeOptions,
  pending: { add(key: string, sub: Subscription): void; remove(key: string): void },
): Promise<Subscription> {
  const headers: Array<[string, string | number]> = [
    ['Event', options.event],
    ['Expires', options.expires ?? 3600],
    ...(options.accept ? ([['Accept', options.accept]] as Array<[string, string]>) : []),
    ...(options.headers ?? []),
  ];
  const request = core.buildRequest('SUBSCRIBE', uri, { ...options, headers });
  const target = core.outOfDialogTarget(request, options.target);
  const sub = new Subscription(core, request, { transport: target.transport, remote: target }, options);
  const key = pendingKey(request.callId, request.fromTag ?? '');
  pending.add(key, sub);
  try {
    const {
      response,
      request: sent,
      transaction,
    } = await sendWithDigest(core.layer, request, {
      target,
      credentials: options.credentials ?? core.credentials,
    });
    if (response.status < 200 || response.status >= 300) {
      sub.shutdown();
      throw new SipRequestError('SUBSCRIBE', response);
    }
    const t = transaction.target;
    sub.established(sent, response, {
      transport: t.transport,
      remote: { address: t.address, port: t.port },
      flowId: transaction.flowId,
    });
    return sub;
  } finally {
    pending.remove(key);
  }
}

export function pendingKey(callId: string, localTag: string): string {
  return `${callId}\u0000${localTag}`;
}

// ---------------------------------------------------------------- notifier

export type NotifierEvents = {
  /** §4.2.1.2: the subscriber refreshed (already answered 200). */
  refreshed: [expires: number];
  terminated: [reason: string | undefined];
};

export interface NotifyOptions {
  body?: Buffer | string;
  contentType?: string;
  /** Default 'active'. */
  state?: SubscriptionStateValue;
  /** With state 'terminated' (§4.2.2: timeout, noresource, rejected, deactivated...). */
  reason?: string;
  headers?: Array<[string, string | number]>;
}

export class NotifierSubscription extends EventEmitter<NotifierEvents> implements DialogUsage {
  readonly dialog: Dialog;
  readonly path: DialogPath;
  readonly event: string;
  #expiresAt: number;
  #timer: NodeJS.Timeout | undefined;
  #terminated = false;
  #last: NotifyOptions = {};
  readonly #core: UaCore;
  readonly #eventHeader: string;

  constructor(
    core: UaCore,
    init: { dialog: Dialog; path: DialogPath; eventHeader: string; expires: number },
  ) {
    super();
    this.#core = core;
    this.dialog = init.dialog;
    this.path = init.path;
    this.#eventHeader = init.eventHeader;
    this.event = init.eventHeader.split(';')[0]!.trim().toLowerCase();
    this.#expiresAt = Date.now();
    this.#arm(init.expires);
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  /** Seconds left. */
  get expires(): number {
    return Math.max(0, Math.round((this.#expiresAt - Date.now()) / 1000));
  }

  /** §4.2.2: send a NOTIFY in the dialog. Resolves with the 2xx; rejects with SipRequestError. */
  async notify(options: NotifyOptions = {}): Promise<SipResponse> {
    if (this.#terminated) throw new UaError('terminated', 'the subscription is over');
    const state = options.state ?? 'active';
    if (state !== 'terminated') this.#last = options;
    const request = buildInDialog(this.#core, this, 'NOTIFY', {
      headers: [
        ['Event', this.#eventHeader],
        ['Subscription-State', formatState(state, this.expires, options.reason)],
        ...(options.headers ?? []),
      ],
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
    });
    if (state === 'terminated') this.#end(options.reason);
    const { response, ended } = await sendInDialog(this.#core, this, request);
    // RFC 6665 §4.2.2: a 481 (or 408) to NOTIFY removes the subscription.
    if (ended) this.#end('dialog-gone');
    if (response.status >= 300) throw new SipRequestError('NOTIFY', response);
    return response;
  }

  /** §4.2.2: end the subscription with a final NOTIFY (`terminated;reason=...`). */
  terminate(
    reason = 'noresource',
    options: Omit<NotifyOptions, 'state' | 'reason'> = {},
  ): Promise<SipResponse> {
    return this.notify({ ...options, state: 'terminated', reason });
  }

  receiveRequest(request: SipRequest, res: ServerResponse): void {
    if (request.method !== 'SUBSCRIBE') {
      void res.send(405);
      return;
    }
    const expires = expiresOf(request) ?? 3600;
    void res.send(200, { headers: [['Expires', expires]] });
    if (expires === 0) {
      // §4.2.1.4: unsubscribe → a final NOTIFY with the current state.
      void this.#finalNotify(undefined);
      return;
    }
    this.#arm(expires); // §4.2.1.2: refresh
    this.#emitSafe('refreshed', expires);
  }

  shutdown(): void {
    this.#clearTimer();
    this.#terminated = true;
    this.#core.removeDialog(this);
  }

  #arm(expires: number): void {
    this.#clearTimer();
    this.#expiresAt = Date.now() + expires * 1000;
    // §4.2.2: the subscription expires without refresh → NOTIFY terminated;reason=timeout.
    this.#timer = setTimeout(() => void this.#finalNotify('timeout'), expires * 1000);
    this.#timer.unref();
  }

  async #finalNotify(reason: string | undefined): Promise<void> {
    if (this.#terminated) return;
    const last = this.#last;
    try {
      await this.notify({
        state: 'terminated',
        ...(reason !== undefined ? { reason } : {}),
        ...(last.body !== undefined ? { body: last.body } : {}),
        ...(last.contentType !== undefined ? { contentType: last.contentType } : {}),
      });
    } catch (err) {
      if (!(err instanceof SipRequestError)) this.#core.reportError(err);
    }
  }

  #end(reason: string | undefined): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#clearTimer();
    this.#core.removeDialog(this);
    this.#emitSafe('terminated', reason);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #emitSafe<K extends keyof NotifierEvents>(event: K, ...args: NotifierEvents[K]): void {
    try {
      // The cast bridges EventEmitter's generic key type and our event map (same tuple types).
      (this.emit as (e: K, ...a: NotifierEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#core.reportError(err);
    }
  }
}

export function expiresOf(request: SipRequest): number | undefined {
  const value = request.get('expires');
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

/** The response API for an out-of-dialog SUBSCRIBE (RFC 6665 §4.2.1). */
export class SubscribeServerResponse extends ServerResponse {
  /** The Event package, lower case (§8.2.1). */
  get event(): string | undefined {
    return eventOf(this.request);
  }

  /** §4.2.1.1: accept with 200 (or 202): creates the dialog (§4.2.1) and the notifier's subscription. */
  async accept(
    options: SendOptions & { expires?: number; status?: 200 | 202 } = {},
  ): Promise<NotifierSubscription> {
    if (this.finalSent) throw new UaError('already-answered', 'the SUBSCRIBE already has a final response');
    const eventHeader = this.request.get('event');
    if (eventHeader === undefined)
      throw new UaError('bad-message', 'SUBSCRIBE without Event (RFC 6665 §8.2.1)');
    // §4.2.1.1: the notifier may shorten, never lengthen, the requested duration.
    const requested = expiresOf(this.request) ?? 3600;
    const expires = Math.min(options.expires ?? requested, requested);
    const status = options.status ?? 200;
    const response = createResponse(this.request, status, options.reason, this.transaction.toTag);
    response.append('Contact', this.core.contact(this.source.transport));
    response.append('Expires', expires);
    for (const [name, value] of options.headers ?? []) response.append(name, value);
    const sub = new NotifierSubscription(this.core, {
      dialog: Dialog.fromUas(this.request, response),
      path: { transport: this.source.transport, remote: this.source.remote, flowId: this.source.flowId },
      eventHeader,
      expires,
    });
    this.core.addDialog(sub);
    await this.transaction.respond(response);
    return sub;
  }
}
