// One participant's connection to the PF for one group: the SIP INVITE dialog and the MSRP session it set up
// (RFC 4975 §5, RFC 6135). Either a member of the live group session, or a deferred delivery session
// (protocol-notes §4). It ends when either side goes: a BYE closes the MSRP session, a lost MSRP connection
// sends BYE.
import { EventEmitter } from 'node:events';
import type { MsrpSession } from '../../protocol/msrp/index.js';
import type { PfInviteDialog } from './signalling.js';

/** `session`: member of the live group session (sendrecv); `deferred`: a sendonly delivery session (D1.i). */
export type LegMode = 'session' | 'deferred';

export type LegEndReason =
  /** The participant sent BYE (RFC 3261 §15.1.2). */
  | 'remote-bye'
  /** The PF sent BYE (end of backlog, session end, group deleted, failure). */
  | 'local-bye'
  /** The MSRP connection went away. */
  | 'msrp-closed'
  /** The dialog ended otherwise (no ACK, 481/408 to an in-dialog request, shutdown). */
  | 'dialog-gone';

export type LegEvents = {
  ended: [reason: LegEndReason];
};

export class Leg extends EventEmitter<LegEvents> {
  readonly user: string;
  readonly groupId: string;
  readonly sip: PfInviteDialog;
  readonly msrp: MsrpSession;
  readonly mode: LegMode;
  /** True once the backlog is flushed and live traffic goes to this leg directly (A2.i: backlog first). */
  live = false;
  #ended: LegEndReason | undefined;
  readonly #onIgnoredError: (what: string) => (err: unknown) => void;

  constructor(init: {
    user: string;
    groupId: string;
    sip: PfInviteDialog;
    msrp: MsrpSession;
    mode: LegMode;
    /** Where failures that do not stop the leg go (the PF's error sink). */
    onIgnoredError?: (what: string) => (err: unknown) => void;
  }) {
    super();
    this.#onIgnoredError = init.onIgnoredError ?? (() => () => {});
    this.user = init.user;
    this.groupId = init.groupId;
    this.sip = init.sip;
    this.msrp = init.msrp;
    this.mode = init.mode;
    this.sip.on('terminated', (reason) => {
      this.#finish(
        reason === 'remote-bye' ? 'remote-bye' : reason === 'local-bye' ? 'local-bye' : 'dialog-gone',
      );
    });
    this.msrp.on('close', () => {
      if (this.#ended) return;
      // RFC 4975 §5.4 / RFC 6135: without its connection the session is useless: end the dialog too.
      void this.sip.bye().catch(this.#onIgnoredError('BYE after the MSRP connection closed'));
      this.#finish('msrp-closed');
    });
  }

  get ended(): LegEndReason | undefined {
    return this.#ended;
  }

  /** Wait until the client's MSRP connection is bound (it connects after ACK, protocol-notes §4). */
  bound(timeoutMs: number): Promise<void> {
    if (this.msrp.state === 'bound') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.msrp.off('bound', onBound);
        this.off('ended', onEnded);
        if (err) reject(err);
        else resolve();
      };
      const onBound = () => done();
      const onEnded = (reason: LegEndReason) =>
        done(new Error(`session ended (${reason}) before MSRP bound`));
      const timer = setTimeout(() => done(new Error(`no MSRP connection within ${timeoutMs} ms`)), timeoutMs);
      this.msrp.on('bound', onBound);
      this.once('ended', onEnded);
      if (this.#ended) done(new Error(`session ended (${this.#ended})`));
    });
  }

  /** End the leg with BYE (optionally with a Reason header, RFC 3326) and close the MSRP session. */
  async end(reasonHeader?: string): Promise<void> {
    if (this.#ended) return;
    this.#finish('local-bye');
    try {
      await this.sip.bye(reasonHeader === undefined ? {} : { headers: [['Reason', reasonHeader]] });
    } catch {
      // The peer is gone already; the dialog is over either way.
    }
  }

  #finish(reason: LegEndReason): void {
    if (this.#ended) return;
    this.#ended = reason;
    this.live = false;
    this.msrp.close();
    try {
      this.emit('ended', reason);
    } catch {
      // A listener threw; the leg is over regardless.
    }
  }
}
