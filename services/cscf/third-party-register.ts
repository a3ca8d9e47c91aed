// Third-party registration to application servers (protocol-notes §3; 3GPP TS 24.229 §5.4.1.7 in spirit):
// after each registration change the CSCF tells the PF whether a user is online, and for how long.
import { createRequest, newCallId, newTag, type SipRequest } from '../../protocol/sip/index.js';
import type { Binding } from './registrar.js';

export interface ThirdPartyRegisterInit {
  /** The application server's URI, used as Request-URI (`sip:127.0.0.1:5070;transport=tcp`). */
  asUri: string;
  /** The registered user's AoR (To). */
  aor: string;
  /** The CSCF's own URI (From). */
  cscfUri: string;
  /** Remaining seconds of the user's registration; 0 for de-registration, expiry, or flow loss. */
  expires: number;
  cseq: number;
  callId: string;
}

/** REGISTER with To = the user, Contact = the AS, Expires = the binding's remaining time. */
export function buildThirdPartyRegister(init: ThirdPartyRegisterInit): SipRequest {
  return createRequest({
    method: 'REGISTER',
    uri: init.asUri,
    from: `<${init.cscfUri}>;tag=${newTag()}`,
    to: `<${init.aor}>`,
    callId: init.callId,
    cseq: init.cseq,
    headers: [
      ['Contact', `<${init.asUri}>`],
      ['Expires', init.expires],
    ],
  });
}

/** The user's remaining registration in seconds: the longest-lived reachable binding, 0 if none. */
export function remainingSeconds(bindings: readonly Binding[], now: number): number {
  let max = 0;
  for (const b of bindings) if (b.reachable) max = Math.max(max, Math.round((b.expiresAt - now) / 1000));
  return Math.max(0, max);
}

/** One Call-ID and a rising CSeq per (AS, user), as a registering UA would keep them (RFC 3261 §10.2). */
export class ThirdPartyRegisterSequence {
  readonly #state = new Map<string, { callId: string; cseq: number }>();

  next(asUri: string, aor: string, host: string): { callId: string; cseq: number } {
    const key = `${asUri}\u0000${aor}`;
    const current = this.#state.get(key) ?? { callId: newCallId(host), cseq: 0 };
    current.cseq += 1;
    this.#state.set(key, current);
    return { ...current };
  }
}
