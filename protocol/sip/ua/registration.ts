// Registration as a UA (RFC 3261 §10.2): REGISTER with one Call-ID and increasing CSeq (§10.2), one digest
// answer per request (§22.2), 423 → retry once with Min-Expires (§10.2.8), refresh before expiry
// (§10.2.1: here at half the granted interval), and removal with Expires: 0 (§10.2.2).
import { EventEmitter } from 'node:events';
import { newCallId } from '../builders.js';
import type { SipResponse } from '../message.js';
import { parseNameAddr } from '../name-addr.js';
import { uriEquals } from '../uri.js';
import type { UaCore } from './core.js';
import { SipRequestError, UaError } from './errors.js';
import type { HopTarget } from './target.js';
import { type Credentials, sendWithDigest } from './uac-request.js';

export interface RegisterOptions {
  /** Request-URI: the registrar's domain (`sip:ims.lab`, §10.2). */
  registrar: string;
  /** The address-of-record (To/From, §10.2); default the UA's identity. */
  aor?: string;
  /** Contact URI to bind; default the UA's contact for the transport used. */
  contact?: string;
  /** Contact header parameters appended after `<uri>`: feature tags (RFC 3840), `+sip.instance`, `reg-id`... (`;a=b;c`). */
  contactParams?: string;
  /** Requested lifetime in seconds; default 3600. */
  expires?: number;
  credentials?: Credentials;
  /** Outbound proxy / fixed next hop (e.g. the CSCF's TCP flow); default the UA's. */
  target?: HopTarget;
  /** Extra header fields for every REGISTER (Supported: path, outbound...). */
  headers?: Array<[string, string | number]>;
}

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'failed' | 'unregistered';

export type RegistrationEvents = {
  registered: [response: SipResponse, expires: number];
  refreshed: [response: SipResponse, expires: number];
  /** A REGISTER (initial or refresh) failed; the refresh timer stops. */
  failed: [error: SipRequestError | UaError];
  unregistered: [response: SipResponse | undefined];
};

export class Registration extends EventEmitter<RegistrationEvents> {
  readonly aor: string;
  readonly callId: string;
  #state: RegistrationState = 'idle';
  #cseq = 0;
  #expires: number;
  #granted = 0;
  #contactUri = '';
  #timer: NodeJS.Timeout | undefined;
  #lastResponse: SipResponse | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #core: UaCore;
  readonly #options: RegisterOptions;

  constructor(core: UaCore, aor: string, options: RegisterOptions) {
    super();
    this.#core = core;
    this.aor = aor;
    this.#options = options;
    this.#expires = options.expires ?? 3600;
    this.callId = newCallId(); // §10.2: the same Call-ID for all REGISTERs to this registrar
  }

  get state(): RegistrationState {
    return this.#state;
  }

  /** Seconds granted by the last successful REGISTER (0 when not registered). */
  get expires(): number {
    return this.#granted;
  }

  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** Register (or refresh): resolves with the 200; rejects with SipRequestError / UaError. */
  register(): Promise<SipResponse> {
    return this.#serial(() => this.#register(this.#expires));
  }

  /** §10.2.2: remove our binding (Expires: 0). Resolves with the 200 (undefined if never registered). */
  unregister(): Promise<SipResponse | undefined> {
    return this.#serial(async () => {
      this.#clearTimer();
      if (this.#state !== 'registered' && this.#state !== 'failed') {
        this.#state = 'unregistered';
        return undefined;
      }
      try {
        const response = await this.#send(0);
        this.#state = 'unregistered';
        this.#granted = 0;
        this.#emit('unregistered', response);
        return response;
      } catch (err) {
        this.#state = 'unregistered';
        this.#granted = 0;
        this.#emit('unregistered', undefined);
        throw err;
      }
    });
  }

  /** Stop refreshing without signalling (UA shutdown). */
  stop(): void {
    this.#clearTimer();
  }

  async #register(expires: number): Promise<SipResponse> {
    const refresh = this.#state === 'registered';
    this.#state = 'registering';
    try {
      let response: SipResponse;
      try {
        response = await this.#send(expires);
      } catch (err) {
        // §10.2.8: 423 Interval Too Brief → retry once with at least Min-Expires.
        const min =
          err instanceof SipRequestError && err.status === 423 ? minExpiresOf(err.response) : undefined;
        if (min === undefined || min <= expires) throw err;
        this.#expires = min;
        response = await this.#send(min);
      }
      this.#granted = this.#grantedExpires(response, this.#expires);
      this.#lastResponse = response;
      this.#state = 'registered';
      this.#schedule();
      this.#emit(refresh ? 'refreshed' : 'registered', response, this.#granted);
      return response;
    } catch (err) {
      this.#state = 'failed';
      this.#granted = 0;
      this.#clearTimer();
      const error = err instanceof SipRequestError || err instanceof UaError ? err : wrap(err);
      this.#emit('failed', error);
      throw error;
    }
  }

  async #send(expires: number): Promise<SipResponse> {
    const core = this.#core;
    const options = this.#options;
    const request = core.buildRequest('REGISTER', options.registrar, {
      to: `<${this.aor}>`,
      from: `<${this.aor}>`,
      callId: this.callId,
      cseq: ++this.#cseq,
      headers: [['Expires', expires], ...(options.headers ?? [])],
    });
    const target = core.outOfDialogTarget(request, options.target);
    // §10.2.1: the Contact names the transport the REGISTER actually uses (the binding is reached over it).
    this.#contactUri = options.contact ?? core.contactUri(target.transport);
    request.set('Contact', `<${this.#contactUri}>${options.contactParams ?? ''}`);
    const result = await sendWithDigest(core.layer, request, {
      target,
      credentials: options.credentials ?? core.credentials,
    });
    this.#cseq = Math.max(this.#cseq, result.request.cseq.seq);
    if (result.response.status >= 300 || result.response.status < 200) {
      throw new SipRequestError('REGISTER', result.response);
    }
    return result.response;
  }

  /** §10.2.4: the expires of our Contact in the 200 (or the Expires header, or what we asked for). */
  #grantedExpires(response: SipResponse, requested: number): number {
    try {
      const ours = parseNameAddr(`<${this.#contactUri}>`).uri;
      for (const contact of response.contacts) {
        if (!uriEquals(contact.uri, ours)) continue;
        const value = contact.params.get('expires');
        if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
      }
    } catch {
      // unreadable Contact: fall back to the Expires header
    }
    const header = response.get('expires');
    if (header !== undefined && /^\s*\d+\s*$/.test(header)) return Number(header);
    return requested;
  }

  /** §10.2.1: refresh before the binding expires; this UA refreshes at half the granted interval. */
  #schedule(): void {
    this.#clearTimer();
    if (this.#granted <= 0) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.register().catch(() => {}); // failures are reported through 'failed'
      },
      (this.#granted * 1000) / 2,
    );
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => {});
    return run;
  }

  #emit<K extends keyof RegistrationEvents>(event: K, ...args: RegistrationEvents[K]): void {
    try {
      // The cast bridges EventEmitter's generic key type and our event map (same tuple types).
      (this.emit as (e: K, ...a: RegistrationEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#core.reportError(err);
    }
  }
}

function minExpiresOf(response: SipResponse): number | undefined {
  const value = response.get('min-expires');
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

function wrap(err: unknown): UaError {
  return new UaError('transport-error', err instanceof Error ? err.message : String(err), { cause: err });
}
