// The PF's own INVITE to a user (protocol profile §4, §7): a deferred delivery, a reconnection, or an
// invitation into a (re)started session. The SDP offers a=setup:actpass (RFC 4145 §4.1): the client answers
// active and connects after the ACK, or passive and we connect. Used by the participating and the
// controlling role alike.
import type { MsrpEndpoint } from '../../protocol/msrp/index.js';
import { type MsrpMediaDescription, parseMsrpSdp } from '../../protocol/sdp/index.js';
import { SipRequestError } from '../../protocol/sip/index.js';
import type { Group, InvitationResult } from './domain/index.js';
import type { ErrorSink } from './error-sink.js';
import { type InvitationIcsi, invitationHeaders, offerSdp, PF_ACCEPT_TYPES } from './invitations.js';
import { Leg, type LegMode } from './leg.js';
import type { PfInviteDialog, PfSignalling } from './signalling.js';

export interface InviteOptions {
  icsi: InvitationIcsi;
  direction: 'sendrecv' | 'sendonly';
  /** protocol profile §7 "Create": Referred-By = the creator. */
  referredBy?: string;
}

export interface InviterDeps {
  signalling: PfSignalling;
  msrp: MsrpEndpoint;
  sink: ErrorSink;
}

export type InviteOutcome = { ok: true; leg: Leg } | { ok: false; result: InvitationResult };

/** INVITE `user` to `group`. Resolves with the leg on 2xx, or the failure as an InvitationResult. */
export async function inviteUser(
  deps: InviterDeps,
  group: Group,
  user: string,
  options: InviteOptions,
): Promise<InviteOutcome> {
  const msrp = deps.msrp.createSession({ setup: 'passive', acceptTypes: PF_ACCEPT_TYPES });
  let session: PfInviteDialog;
  try {
    const init: Parameters<typeof invitationHeaders>[0] = { group, icsi: options.icsi };
    if (options.referredBy !== undefined) init.referredBy = options.referredBy;
    session = await deps.signalling.invite(user, {
      from: `<${group.conferenceUri}>`,
      to: `<${user}>`,
      headers: invitationHeaders(init),
      body: offerSdp(
        { address: deps.msrp.host, port: deps.msrp.port, path: msrp.localPath },
        options.direction,
      ),
      contentType: 'application/sdp',
    });
  } catch (err) {
    msrp.close();
    if (err instanceof SipRequestError && err.localFailure === undefined) {
      return { ok: false, result: { kind: 'response', status: err.status, reason: err.reason } };
    }
    return {
      ok: false,
      result: { kind: 'transport-failure', detail: err instanceof Error ? err.message : String(err) },
    };
  }
  // Bind before anything else runs: the client connects right after our ACK (protocol profile §4).
  let answer: MsrpMediaDescription | undefined;
  try {
    answer = parseMsrpSdp(session.remoteBody);
  } catch {
    answer = undefined;
  }
  // RFC 4145 §4.1: our actpass lets the answerer pick: active (or no a=setup, which means active) → the
  // client connects and we wait; passive → we connect. actpass is not a legal answer.
  if (!answer || answer.setup === 'actpass') {
    msrp.close();
    void session.bye().catch(deps.sink('BYE after an unusable SDP answer', { user }));
    return { ok: false, result: { kind: 'delivery-interrupted', detail: 'unusable SDP answer' } };
  }
  msrp
    .start(answer.path.join(' '), answer.setup === 'passive' ? 'active' : 'passive')
    .catch(deps.sink('MSRP session did not start', { user, groupId: group.id }));
  const mode: LegMode = options.direction === 'sendonly' ? 'deferred' : 'session';
  const onIgnoredError = (what: string) => deps.sink(what, { user, groupId: group.id });
  return { ok: true, leg: new Leg({ user, groupId: group.id, sip: session, msrp, mode, onIgnoredError }) };
}
