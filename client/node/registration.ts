// The client's registration (protocol-notes §2, §3): REGISTER over a TCP flow kept open to the CSCF (the
// outbound proxy, which routes requests back over it), the CPM feature tags in Contact, refresh at half the
// granted expiry, de-registration (Expires: 0) and the abrupt "drop" of a phone losing coverage (the flow is
// destroyed without a word and refreshing stops).
import { EventEmitter } from 'node:events';
import {
  normalizeAddress,
  type Registration,
  SipRequestError,
  type SipTransportLayer,
  type UserAgent,
} from '../../protocol/sip/index.js';
import { registrationContactParams } from './wire.js';

export type OfflineReason = 'initial' | 'deregistered' | 'dropped' | 'flow-lost' | 'refresh-failed';

/** The registration state machine's states (one transition function below). */
export type RegistrationStatus =
  | { state: 'offline'; reason: OfflineReason }
  | { state: 'registering' }
  | { state: 'online'; expires: number; flowId?: string }
  | { state: 'failed'; status?: number; reason: string };

export type RegistrationInput =
  | { kind: 'register' }
  | { kind: 'ok'; expires: number; flowId?: string }
  | { kind: 'error'; status?: number; reason: string }
  | { kind: 'offline'; reason: OfflineReason };

export function registrationTransition(
  _from: RegistrationStatus,
  input: RegistrationInput,
): RegistrationStatus {
  switch (input.kind) {
    case 'register':
      return { state: 'registering' };
    case 'ok':
      return input.flowId !== undefined
        ? { state: 'online', expires: input.expires, flowId: input.flowId }
        : { state: 'online', expires: input.expires };
    case 'error':
      return input.status !== undefined
        ? { state: 'failed', status: input.status, reason: input.reason }
        : { state: 'failed', reason: input.reason };
    case 'offline':
      return { state: 'offline', reason: input.reason };
  }
}

export class RegistrationFailed extends Error {
  override readonly name = 'RegistrationFailed';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export interface ClientRegistrationOptions {
  ua: UserAgent;
  transport: SipTransportLayer;
  registrar: string;
  aor: string;
  instanceId: string;
  expires: number;
  cscf: { address: string; port: number };
}

export type ClientRegistrationEvents = {
  /** Every change of state; `online` also after each refresh. */
  status: [status: RegistrationStatus];
};

export class ClientRegistration extends EventEmitter<ClientRegistrationEvents> {
  readonly #o: ClientRegistrationOptions;
  #status: RegistrationStatus = { state: 'offline', reason: 'initial' };
  #current: Registration | undefined;

  constructor(options: ClientRegistrationOptions) {
    super();
    this.#o = options;
    options.transport.on('flow-closed', (flow) => {
      // protocol-notes §3: the flow to the CSCF is gone (CSCF restart, network): we are offline.
      if (this.#status.state === 'online' && flow.flowId === this.#status.flowId) {
        this.#current?.stop();
        this.#current = undefined;
        this.#set({ kind: 'offline', reason: 'flow-lost' });
      }
    });
  }

  get status(): RegistrationStatus {
    return this.#status;
  }

  get online(): boolean {
    return this.#status.state === 'online';
  }

  /** The Contact header value we register (for state and tests). */
  get contact(): string {
    return `<${this.#o.ua.contactUri('tcp')}>${registrationContactParams(this.#o.instanceId)}`;
  }

  /** RFC 3261 §10.2: register (no-op when online). Rejects with RegistrationFailed (carrying the SIP status). */
  async register(): Promise<RegistrationStatus> {
    if (this.#status.state === 'online') return this.#status;
    this.#set({ kind: 'register' });
    const reg = this.#o.ua.registration({
      registrar: this.#o.registrar,
      aor: this.#o.aor,
      expires: this.#o.expires,
      contactParams: registrationContactParams(this.#o.instanceId),
    });
    this.#current = reg;
    reg.on('refreshed', (_res, expires) => {
      if (this.#current === reg) this.#set({ kind: 'ok', expires, ...this.#flow() });
    });
    reg.on('failed', () => {
      // A refresh failed (the initial REGISTER's failure is handled below).
      if (this.#current === reg && this.#status.state === 'online') {
        this.#current = undefined;
        this.#set({ kind: 'offline', reason: 'refresh-failed' });
      }
    });
    try {
      await reg.register();
    } catch (err) {
      if (this.#current === reg) this.#current = undefined;
      reg.stop();
      const status = err instanceof SipRequestError ? err.status : undefined;
      const reason =
        err instanceof SipRequestError
          ? `${err.status} ${err.reason}`
          : (err as Error).message || String(err);
      this.#set(status !== undefined ? { kind: 'error', status, reason } : { kind: 'error', reason });
      throw new RegistrationFailed(`registration failed: ${reason}`, status);
    }
    this.#set({ kind: 'ok', expires: reg.expires, ...this.#flow() });
    return this.#status;
  }

  /**
   * §10.2.1: refresh the registration now (a user's "go online" while online is a nudge: the network, and the
   * PF through the CSCF, hear from us again). Rejects with RegistrationFailed.
   */
  async refresh(): Promise<RegistrationStatus> {
    const reg = this.#current;
    if (!reg || this.#status.state !== 'online') return this.register();
    try {
      await reg.register();
    } catch (err) {
      const status = err instanceof SipRequestError ? err.status : undefined;
      throw new RegistrationFailed(`registration refresh failed: ${(err as Error).message}`, status);
    }
    return this.#status;
  }

  /** §10.2.2: remove the binding (Expires: 0). */
  async deregister(): Promise<void> {
    const reg = this.#current;
    this.#current = undefined;
    if (reg) await reg.unregister().catch(() => undefined);
    this.#set({ kind: 'offline', reason: 'deregistered' });
  }

  /** Coverage lost: stop refreshing and destroy the flow to the CSCF without a word. */
  drop(): void {
    this.#current?.stop();
    this.#current = undefined;
    for (const flow of this.#cscfFlows()) this.#o.transport.closeFlow(flow);
    this.#set({ kind: 'offline', reason: 'dropped' });
  }

  /** Stop refreshing (shutdown). */
  stop(): void {
    this.#current?.stop();
  }

  #cscfFlows(): string[] {
    const want = normalizeAddress(this.#o.cscf.address);
    return this.#o.transport
      .flows()
      .filter((f) => f.remote.port === this.#o.cscf.port && normalizeAddress(f.remote.address) === want)
      .map((f) => f.flowId);
  }

  #flow(): { flowId?: string } {
    const id = this.#cscfFlows()[0];
    return id !== undefined ? { flowId: id } : {};
  }

  #set(input: RegistrationInput): void {
    this.#status = registrationTransition(this.#status, input);
    try {
      this.emit('status', this.#status);
    } catch {
      // a listener threw; the registration goes on
    }
  }
}
