// The UAS side of INVITE (RFC 3261 §13.3): provisional responses, the 2xx that creates the dialog
// (§12.1.1) and starts the §13.3.1.4 retransmission/ACK wait, rejections, and CANCEL (§9.2).
import { Dialog } from '../dialog/index.js';
import { createResponse } from '../builders.js';
import type { InviteServerTransaction } from '../transaction/index.js';
import { InviteServerState } from '../transaction/index.js';
import { UaError } from './errors.js';
import { type SendOptions, ServerResponse, toReplyOptions } from './server-response.js';
import { InviteSession } from './session.js';

export class InviteServerResponse extends ServerResponse {
  declare readonly transaction: InviteServerTransaction;

  /** §9.2: whether a CANCEL matched (the transaction layer has answered 487 to the INVITE). */
  get cancelled(): boolean {
    return this.transaction.cancelled;
  }

  /** §9.2: called when a CANCEL matches this INVITE. */
  onCancel(listener: () => void): this {
    this.transaction.onCancel(() => listener());
    return this;
  }

  /** A provisional response (default 180); 101–199 carry the Contact (§12.1.1, early dialog). */
  progress(status = 180, options: SendOptions = {}): Promise<boolean> {
    if (status < 101 || status > 199) throw new RangeError(`not a provisional status: ${status}`);
    return this.send(status, options);
  }

  /** 2xx goes through accept(); everything else as is (3xx–6xx reject the call). */
  override async send(status: number, options: SendOptions = {}): Promise<boolean> {
    if (status >= 200 && status < 300) {
      try {
        await this.accept({ ...options, status });
        return true;
      } catch {
        return false;
      }
    }
    if (status > 100 && status < 200) {
      const headers = [...(options.headers ?? [])];
      if (!headers.some(([n]) => n.toLowerCase() === 'contact')) {
        headers.push(['Contact', this.core.contact(this.source.transport)]);
      }
      return super.send(status, { ...options, headers });
    }
    return super.send(status, options);
  }

  reject(status = 486, options: SendOptions = {}): Promise<boolean> {
    if (status < 300) throw new RangeError(`not a rejection: ${status}`);
    return this.send(status, options);
  }

  /**
   * Answer 2xx (default 200) with the answer body: creates the dialog (§12.1.1), sends the response with
   * Contact and starts the ACK wait (§13.3.1.4). Resolves with the session; await `session.acked` before
   * starting media. Rejects with UaError('already-answered') after a final response or a CANCEL.
   */
  async accept(options: SendOptions & { status?: number } = {}): Promise<InviteSession> {
    const tx = this.transaction;
    if (tx.state !== InviteServerState.Proceeding || this.finalSent) {
      throw new UaError('already-answered', `the INVITE already has a final response (${tx.state})`);
    }
    const status = options.status ?? 200;
    const response = createResponse(this.request, status, options.reason, tx.toTag);
    const reply = toReplyOptions(options);
    const headers = [...(reply.headers ?? [])];
    if (!headers.some(([n]) => n.toLowerCase() === 'contact')) {
      response.append('Contact', this.core.contact(this.source.transport)); // §13.3.1.4: 2xx MUST carry Contact
    }
    if (!headers.some(([n]) => n.toLowerCase() === 'allow')) response.append('Allow', this.core.allow());
    for (const [name, value] of headers) response.append(name, value);
    if (reply.body) {
      response.body = reply.body;
      if (reply.contentType) response.set('Content-Type', reply.contentType);
    }
    const dialog = Dialog.fromUas(this.request, response);
    const session = new InviteSession(this.core, {
      role: 'uas',
      dialog,
      path: { transport: this.source.transport, remote: this.source.remote, flowId: this.source.flowId },
      invite: this.request,
      response,
    });
    this.core.addDialog(session);
    // §13.3.1.4: the 2xx is retransmitted by the UAS core (not the transaction) until the ACK; armed before
    // the first send so that an early ACK always finds the wait in place.
    session.startAckWait(() => {
      this.core.transport
        .sendResponse(response, this.source)
        .catch((err: unknown) => this.core.reportError(err));
    });
    await tx.respond(response);
    if (tx.transportError) {
      session.terminate('transport-error');
      throw new UaError('transport-error', 'the 2xx could not be sent', { cause: tx.transportError });
    }
    return session;
  }
}
