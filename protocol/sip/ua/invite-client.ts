// The UAC side of INVITE (RFC 3261 §13.2): send the offer, report provisionals, on the 2xx create the
// dialog (§12.1.2) and ACK it (§13.2.2.4), reject on 3xx–6xx, CANCEL (§9.1), and ACK+BYE extra 2xx from
// forks (§13.2.2.4).
import { Dialog, dialogKey } from '../dialog/index.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { ClientTransaction } from '../transaction/index.js';
import type { DialogPath, OutOfDialogOptions, UaCore } from './core.js';
import { SipRequestError, UaError } from './errors.js';
import { InviteSession } from './session.js';
import { sendWithDigest } from './uac-request.js';

export interface InviteOptions extends OutOfDialogOptions {
  /** Every 1xx (100 Trying, 180 Ringing, 183...). */
  onProvisional?: (response: SipResponse) => void;
}

export class OutgoingInvite {
  /** The INVITE as first built (the sent one gains a Via; a digest retry is a copy). */
  readonly request: SipRequest;
  /** Resolves with the session once the 2xx is ACKed; rejects with SipRequestError (3xx–6xx, local 408/503) or UaError('cancelled'). */
  readonly session: Promise<InviteSession>;
  #tx: ClientTransaction | undefined;
  #cancelRequested = false;
  #cancelSent = false;
  readonly #core: UaCore;

  constructor(core: UaCore, uri: string, options: InviteOptions) {
    this.#core = core;
    this.request = core.buildRequest('INVITE', uri, options);
    this.session = this.#run(options);
    this.session.catch(() => {}); // the caller awaits it; a cancelled call must not be an unhandled rejection
  }

  /** §9.1: CANCEL the pending INVITE (sent once a provisional response arrived). The session promise then rejects (487). */
  async cancel(): Promise<void> {
    this.#cancelRequested = true;
    await this.#cancelNow();
  }

  async #cancelNow(): Promise<void> {
    const tx = this.#tx;
    if (!tx || this.#cancelSent || tx.finalResponse) return;
    this.#cancelSent = true;
    try {
      await this.#core.layer.cancel(tx);
    } catch (err) {
      this.#core.reportError(err);
    }
  }

  async #run(options: InviteOptions): Promise<InviteSession> {
    const core = this.#core;
    const target = core.outOfDialogTarget(this.request, options.target);
    const { response, request, transaction } = await sendWithDigest(core.layer, this.request, {
      target,
      credentials: options.credentials ?? core.credentials,
      onProvisional: options.onProvisional,
      // RFC 6026 §7.2: 2xx after the first — retransmissions (same dialog) or forks (new To tag).
      onAdditional2xx: (r) => this.#additional2xx(r),
      onTransaction: (tx) => {
        this.#tx = tx;
        this.#cancelSent = false;
        if (this.#cancelRequested) void this.#cancelNow();
      },
    });
    if (response.status < 200 || response.status >= 300) throw new SipRequestError('INVITE', response);
    let dialog: Dialog;
    try {
      dialog = Dialog.fromUac(request, response);
    } catch (err) {
      // §13.2.2.4 needs the 2xx's To tag and Contact to ACK; without them the call cannot proceed.
      throw new UaError('bad-message', `unusable 2xx to INVITE: ${(err as Error).message}`, { cause: err });
    }
    const session = new InviteSession(core, {
      role: 'uac',
      dialog,
      path: pathOf(transaction),
      invite: request,
      response,
    });
    core.addDialog(session);
    await session.sendAck();
    if (this.#cancelRequested) {
      // §9.1: the CANCEL lost the race with the 2xx: the call is up; end it at once.
      void session.bye();
      throw new UaError('cancelled', 'the INVITE was cancelled but the callee answered 2xx (ACKed and BYEd)');
    }
    return session;
  }

  /** A 2xx beyond the first: re-ACK a retransmission; ACK and BYE a fork's dialog (§13.2.2.4). */
  #additional2xx(response: SipResponse): void {
    const core = this.#core;
    try {
      const key = dialogKey({
        callId: response.callId,
        localTag: response.fromTag ?? '',
        remoteTag: response.toTag ?? '',
      });
      const usage = core.findDialog(key);
      if (usage) {
        usage.receive2xx?.(response);
        return;
      }
      const tx = this.#tx;
      // A retransmission of the first 2xx that arrived before the session existed: its ACK is on its way.
      if (!tx || tx.finalResponse?.toTag === response.toTag) return;
      const fork = new InviteSession(core, {
        role: 'uac',
        dialog: Dialog.fromUac(tx.request, response),
        path: pathOf(tx),
        invite: tx.request,
        response,
      });
      core.addDialog(fork);
      fork
        .sendAck()
        .then(() => fork.bye())
        .catch((err: unknown) => core.reportError(err));
    } catch (err) {
      core.reportError(err);
    }
  }
}

function pathOf(tx: ClientTransaction): DialogPath {
  const target = tx.target;
  return {
    transport: target.transport,
    remote: { address: target.address, port: target.port },
    flowId: tx.flowId,
  };
}
