// MSRP offer/answer rules: direction (RFC 3264 §6.1) and connection setup (RFC 4145 §4.1, RFC 6135 §4.2).
import type { Direction, MsrpMediaDescription, SetupRole } from './msrp-sdp.js';

/** RFC 3264 §6.1: the answer's direction for an offered direction. */
export function answerDirection(offer: Direction): Direction {
  switch (offer) {
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'sendrecv':
      return 'sendrecv';
    case 'inactive':
      return 'inactive';
  }
}

/**
 * RFC 4145 §4.1 / RFC 6135 §4.2: the answer's setup role. Lab profile: to actpass the client answers active
 * (it connects). An offer without a=setup is the RFC 4145 default `active`, so the answer is passive.
 */
export function answerSetup(offer: SetupRole | undefined): 'active' | 'passive' {
  switch (offer) {
    case 'actpass':
      return 'active';
    case 'active':
    case undefined:
      return 'passive';
    case 'passive':
      return 'active';
  }
}

/**
 * RFC 3264 §6.1: is `answer` a permitted answer to `offer`? Tolerates a sendrecv answer to a sendonly offer
 * (protocol-notes §4), which some stacks send.
 */
export function isAcceptableAnswerDirection(offer: Direction, answer: Direction): boolean {
  if (answer === 'inactive') return true;
  switch (offer) {
    case 'sendrecv':
      return true;
    case 'sendonly':
      return answer === 'recvonly' || answer === 'sendrecv';
    case 'recvonly':
      return answer === 'sendonly';
    case 'inactive':
      return false;
  }
}

/** RFC 4145 §4.1: is the answer's setup (absent = active) compatible with the offer's (absent = active)? */
export function isAcceptableAnswerSetup(
  offer: SetupRole | undefined,
  answer: SetupRole | undefined,
): boolean {
  const o = offer ?? 'active';
  const a = answer ?? 'active';
  if (a === 'actpass') return false; // §4.1: actpass is an offer-only value
  if (o === 'actpass') return true;
  return o !== a;
}

/** Which side opens the MSRP connection, from the answer's setup (absent = active; RFC 4145 §4.1, RFC 6135 §4.2). */
export function connectingSide(answer: SetupRole | undefined): 'offerer' | 'answerer' {
  return (answer ?? 'active') === 'active' ? 'answerer' : 'offerer';
}

/** The local answer description for an offer: local transport details, answered direction and setup. */
export function buildMsrpAnswer(
  offer: MsrpMediaDescription,
  local: Omit<MsrpMediaDescription, 'direction' | 'setup'>,
): MsrpMediaDescription {
  return { ...local, direction: answerDirection(offer.direction), setup: answerSetup(offer.setup) };
}
