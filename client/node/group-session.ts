// One group session of the client: the SIP INVITE dialog and the MSRP session it negotiated (RFC 4975,
// RFC 6135). The client is always the MSRP active side: after the ACK (D1.v) it connects to the PF's a=path
// and binds the connection with an empty SEND. The session state follows the feature tag and SDP direction
// (D1.iii, A2.i): `deferred` is receive-only, `active` carries chat and notifications both ways.
import { EventEmitter } from 'node:events';
import type { MsrpMessage, MsrpSession } from '../../protocol/msrp/index.js';
import type { InviteSession, Subscription, TerminationReason } from '../../protocol/sip/index.js';

export type GroupSessionKind = 'deferred' | 'active';

/** An explicit state machine: establishing → connected → ended (or establishing → ended). */
export type GroupSessionState = 'establishing' | 'connected' | 'ended';

export type GroupSessionEvent = { kind: 'bound' } | { kind: 'end' };

export function groupSessionTransition(
  state: GroupSessionState,
  event: GroupSessionEvent,
): GroupSessionState {
  if (state === 'ended') return state;
  if (event.kind === 'bound') return state === 'establishing' ? 'connected' : state;
  return 'ended';
}

export type GroupSessionEndReason = TerminationReason | 'msrp-failed' | 'msrp-closed' | 'offline';

export type GroupSessionEvents = {
  message: [message: MsrpMessage];
  connected: [];
  ended: [reason: GroupSessionEndReason, byeReason: string | undefined];
};

export interface GroupSessionInit {
  groupKey: string;
  kind: GroupSessionKind;
  /** `uas`: the PF invited us (§4); `uac`: our re-join / restart / create (§7). */
  role: 'uas' | 'uac';
  sip: InviteSession;
  msrp: MsrpSession;
}

/** How long a session whose MSRP connection closed waits for the peer's BYE before sending its own. */
const MSRP_CLOSE_GRACE_MS = 2000;

export class GroupSession extends EventEmitter<GroupSessionEvents> {
  readonly groupKey: string;
  readonly kind: GroupSessionKind;
  readonly role: 'uas' | 'uac';
  readonly sip: InviteSession;
  readonly msrp: MsrpSession;
  readonly startedAt = new Date();
  subscription: Subscription | undefined;
  #state: GroupSessionState = 'establishing';
  #endReason: GroupSessionEndReason | undefined;

  constructor(init: GroupSessionInit) {
    super();
    this.groupKey = init.groupKey;
    this.kind = init.kind;
    this.role = init.role;
    this.sip = init.sip;
    this.msrp = init.msrp;
    this.msrp.on('message', (m) => this.#emit('message', m));
    this.msrp.on('close', () => {
      // The MSRP connection went away under a live dialog: no media is left, so the dialog must end too
      // (RFC 4975 §5.4). The peer usually closes MSRP as it sends its own BYE (the PF ends deferred
      // sessions, protocol-notes §4): wait a moment for that BYE rather than crossing it with ours.
      if (this.#state === 'ended' || this.#msrpCloseTimer) return;
      this.#msrpCloseTimer = setTimeout(() => {
        if (this.#state !== 'ended') void this.end('msrp-closed');
      }, MSRP_CLOSE_GRACE_MS);
      this.#msrpCloseTimer.unref();
    });
    this.sip.on('terminated', (reason) => {
      // A remote BYE is finished by the 'bye' event that follows at once (it carries the Reason header).
      if (reason !== 'remote-bye') this.#finish(this.#pendingReason ?? reason, undefined);
    });
    this.sip.on('bye', (req) => this.#finish('remote-bye', req.get('reason')));
  }

  #pendingReason: GroupSessionEndReason | undefined;
  #msrpCloseTimer: NodeJS.Timeout | undefined;

  /** The SIP Call-ID identifies the session in state and events. */
  get id(): string {
    return this.sip.dialog.id.callId;
  }

  get state(): GroupSessionState {
    return this.#state;
  }

  get endReason(): GroupSessionEndReason | undefined {
    return this.#endReason;
  }

  /**
   * RFC 6135 §4.2: as the active side connect to the PF's a=path and send the empty binding SEND (RFC 4975
   * §5.4); as the passive side (`started`: the msrp.start() begun before our 2xx) wait for the peer's binding.
   */
  async connect(peerPath: readonly string[], started?: Promise<void>): Promise<void> {
    try {
      await (started ?? this.msrp.start(peerPath.join(' ')));
    } catch (err) {
      await this.end('msrp-failed');
      throw err;
    }
    if (this.#state === 'ended') return;
    this.#state = groupSessionTransition(this.#state, { kind: 'bound' });
    this.#emit('connected');
  }

  /** End the session: BYE (RFC 3261 §15.1.1) unless `local` (coverage lost: nothing goes out). */
  async end(reason: GroupSessionEndReason, options: { local?: boolean } = {}): Promise<void> {
    if (this.#state === 'ended') return;
    this.#pendingReason ??= reason;
    const sub = this.subscription;
    this.subscription = undefined;
    if (options.local) {
      sub?.shutdown();
      this.sip.terminate('closed');
    } else {
      // RFC 6665 §4.1.2.3: unsubscribe before leaving; then BYE (RFC 3261 §15.1.1).
      await sub?.unsubscribe().catch(() => undefined);
      sub?.shutdown();
      if (this.sip.state !== 'terminated') await this.sip.bye().catch(() => undefined);
    }
    this.#finish(this.#pendingReason, undefined);
  }

  #finish(reason: GroupSessionEndReason, byeReason: string | undefined): void {
    if (this.#state === 'ended') return;
    this.#state = groupSessionTransition(this.#state, { kind: 'end' });
    this.#endReason = reason;
    clearTimeout(this.#msrpCloseTimer);
    this.subscription?.shutdown();
    this.subscription = undefined;
    this.msrp.close();
    this.#emit('ended', reason, byeReason);
  }

  #emit<K extends keyof GroupSessionEvents>(event: K, ...args: GroupSessionEvents[K]): void {
    try {
      // The cast bridges EventEmitter's generic key type and our event map (same tuple types).
      (this.emit as (e: K, ...a: GroupSessionEvents[K]) => boolean)(event, ...args);
    } catch {
      // A listener threw; the session's own bookkeeping must go on (the client reports through 'warning').
    }
  }
}
