// An INVITE dialog usage (RFC 3261 §13–§15): the UAC sends the ACK for the 2xx and re-sends it for every
// retransmitted 2xx (§13.2.2.4); the UAS retransmits its 2xx until the ACK (§13.3.1.4) and sends BYE when
// it never comes; in-dialog requests both ways; BYE ends the session (§15).
import { EventEmitter } from 'node:events';
import { type Dialog, Uas2xxRetransmitter } from '../dialog/index.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { SendTarget } from '../transport/index.js';
import type { DialogPath, DialogUsage, UaCore } from './core.js';
import { SipRequestError, UaError } from './errors.js';
import { type InDialogOptions, buildInDialog, sendInDialog } from './in-dialog.js';
import type { ServerResponse } from './server-response.js';

export type SessionState = 'waiting-for-ack' | 'confirmed' | 'terminated';

/** Why a session ended. */
export type TerminationReason =
  | 'local-bye'
  | 'remote-bye'
  /** §13.3.1.4: no ACK for our 2xx within 64*T1 (we sent BYE). */
  | 'ack-timeout'
  /** §12.2.1.2: an in-dialog request got 481 or 408. */
  | 'dialog-gone'
  /** The 2xx could not be sent. */
  | 'transport-error'
  | 'closed';

export type SessionEvents = {
  /** UAS: the ACK for our 2xx arrived (start media now: spec clause D1.v). UAC: the ACK we sent. */
  ack: [ack: SipRequest];
  /** The peer sent BYE (already answered 200). */
  bye: [request: SipRequest];
  /** Any other in-dialog request (INFO, MESSAGE, UPDATE...): answer it with `res`. Without listener: 405. */
  request: [request: SipRequest, res: ServerResponse];
  terminated: [reason: TerminationReason];
};

export class InviteSession extends EventEmitter<SessionEvents> implements DialogUsage {
  readonly role: 'uac' | 'uas';
  readonly dialog: Dialog;
  readonly path: DialogPath;
  /** The INVITE as sent (UAC) or received (UAS). */
  readonly invite: SipRequest;
  /** The 2xx that established the session. */
  readonly response: SipResponse;
  /** UAS: resolves with the ACK; rejects with UaError('ack-timeout' | 'terminated'). UAC: the ACK we sent. */
  readonly acked: Promise<SipRequest>;
  /** Resolves with the reason once the session is over. */
  readonly ended: Promise<TerminationReason>;
  #state: SessionState;
  #terminationReason: TerminationReason | undefined;
  #retransmitter: Uas2xxRetransmitter | undefined;
  #ack: SipRequest | undefined;
  #ackTarget: SendTarget | undefined;
  #resolveAck!: (ack: SipRequest) => void;
  #rejectAck!: (error: UaError) => void;
  #resolveEnded!: (reason: TerminationReason) => void;
  readonly #core: UaCore;

  constructor(
    core: UaCore,
    init: {
      role: 'uac' | 'uas';
      dialog: Dialog;
      path: DialogPath;
      invite: SipRequest;
      response: SipResponse;
    },
  ) {
    super();
    this.#core = core;
    this.role = init.role;
    this.dialog = init.dialog;
    this.path = init.path;
    this.invite = init.invite;
    this.response = init.response;
    this.#state = init.role === 'uas' ? 'waiting-for-ack' : 'confirmed';
    this.acked = new Promise<SipRequest>((resolve, reject) => {
      this.#resolveAck = resolve;
      this.#rejectAck = reject;
    });
    this.acked.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  get state(): SessionState {
    return this.#state;
  }

  get terminationReason(): TerminationReason | undefined {
    return this.#terminationReason;
  }

  /** Offer/answer (RFC 3264 via RFC 3261 §13.2.1): the peer's session description (UAS: offer, UAC: answer). */
  get remoteBody(): Buffer {
    return this.role === 'uas' ? this.invite.body : this.response.body;
  }

  get localBody(): Buffer {
    return this.role === 'uas' ? this.response.body : this.invite.body;
  }

  // ---- UAC ----

  /** §13.2.2.4: ACK the 2xx: a new transaction-less request with a new branch, to the dialog's next hop. */
  async sendAck(): Promise<void> {
    const ack = this.dialog.createAck(this.invite.cseq.seq);
    // §22.2: the ACK carries the INVITE's credentials.
    for (const name of ['Authorization', 'Proxy-Authorization']) {
      for (const field of this.invite.fields(name)) ack.append(name, field.value);
    }
    this.#ack = ack;
    this.#ackTarget = this.#core.inDialogTarget(ack, this.path);
    await this.#sendAckNow();
    this.#resolveAck(ack);
    this.#emit('ack', ack);
  }

  /** §13.2.2.4: every retransmission of the 2xx gets the same ACK again. */
  receive2xx(response: SipResponse): void {
    if (this.role !== 'uac' || !this.#ack) return;
    if (response.cseq.method !== 'INVITE' || response.cseq.seq !== this.invite.cseq.seq) return;
    void this.#sendAckNow();
  }

  async #sendAckNow(): Promise<void> {
    if (!this.#ack || !this.#ackTarget) return;
    try {
      await this.#core.layer.sendStateless(this.#ack, this.#ackTarget);
    } catch (err) {
      this.#core.reportError(err);
    }
  }

  // ---- UAS ----

  /** §13.3.1.4: retransmit the 2xx until the ACK, whatever the transport; after 64*T1 without one, BYE. */
  startAckWait(retransmit: () => void): void {
    this.#retransmitter = new Uas2xxRetransmitter({
      timers: this.#core.timers,
      retransmit,
      onTimeout: () => {
        this.#rejectAck(new UaError('ack-timeout', 'no ACK for the 2xx within 64*T1'));
        void this.#byeAndEnd('ack-timeout');
      },
    });
  }

  receiveAck(ack: SipRequest): void {
    if (this.#state !== 'waiting-for-ack') return; // retransmitted ACKs are absorbed
    if (ack.cseq.seq !== this.invite.cseq.seq) return;
    this.#retransmitter?.acknowledge();
    this.#state = 'confirmed';
    this.#resolveAck(ack);
    this.#emit('ack', ack);
  }

  // ---- both ----

  receiveRequest(request: SipRequest, res: ServerResponse): void {
    switch (request.method) {
      case 'BYE':
        // §15.1.2: the UAS of the BYE answers 200 and ends the session.
        void res.send(200);
        this.#end('remote-bye');
        this.#emit('bye', request);
        return;
      case 'INVITE':
        // §14.2: re-INVITE (session modification) is not supported by this UA: the session stays unchanged.
        void res.send(488, { reason: 'Session Modification Not Supported' });
        return;
      default:
        if (this.listenerCount('request') === 0) void res.send(405);
        else this.#emit('request', request, res);
    }
  }

  /** §15.1.1: end the session with BYE. Resolves with the BYE's final response (undefined if already over). */
  async bye(options: InDialogOptions = {}): Promise<SipResponse | undefined> {
    if (this.#state === 'terminated') return undefined;
    return this.#byeAndEnd('local-bye', options);
  }

  /**
   * Send a request within the dialog (INFO, MESSAGE, UPDATE, ...). Resolves with the 2xx; rejects with
   * SipRequestError otherwise (a 481/408 also ends the session, §12.2.1.2).
   */
  async request(method: string, options: InDialogOptions = {}): Promise<SipResponse> {
    if (this.#state === 'terminated') throw new UaError('terminated', 'the session is over');
    const request = buildInDialog(this.#core, this, method, options);
    const { response, ended } = await sendInDialog(this.#core, this, request);
    if (ended) this.#end('dialog-gone');
    if (response.status >= 300) throw new SipRequestError(method, response);
    return response;
  }

  async #byeAndEnd(
    reason: TerminationReason,
    options: InDialogOptions = {},
  ): Promise<SipResponse | undefined> {
    this.#end(reason);
    try {
      const request = buildInDialog(this.#core, this, 'BYE', options);
      const { response } = await sendInDialog(this.#core, this, request);
      return response;
    } catch (err) {
      this.#core.reportError(err);
      return undefined;
    }
  }

  /** Local end (transport error while answering, UA shutdown): no signalling. */
  terminate(reason: TerminationReason): void {
    this.#end(reason);
  }

  shutdown(): void {
    this.#end('closed');
  }

  #end(reason: TerminationReason): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#terminationReason = reason;
    this.#retransmitter?.stop();
    this.dialog.state = 'terminated';
    this.#core.removeDialog(this);
    this.#rejectAck(new UaError('terminated', `session ended (${reason}) before the ACK`));
    this.#resolveEnded(reason);
    this.#emit('terminated', reason);
  }

  #emit<K extends keyof SessionEvents>(event: K, ...args: SessionEvents[K]): void {
    try {
      // The cast bridges EventEmitter's generic key type and our event map (same tuple types).
      (this.emit as (e: K, ...a: SessionEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#core.reportError(err);
    }
  }
}
