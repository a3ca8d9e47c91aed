// The UAS rule both the client and the PF apply to a group chat SIP MESSAGE (RFC 3428 §7, RFC 3862): its body
// must be message/cpim; anything else gets 415 Unsupported Media Type with Accept: message/cpim (RFC 3261
// §21.4.13). Structural types, so that this module needs nothing of the SIP stack.

/** What the check reads of a request. */
export interface MediaTyped {
  /** Lower-case `type/subtype` of the body (SipMessage.mediaType). */
  readonly mediaType?: string | undefined;
}

/** What the check answers through. */
export interface Responder {
  send(status: number, options?: { headers?: Array<[string, string | number]> }): Promise<unknown>;
}

/** True when the body is message/cpim; otherwise answers 415 with Accept: message/cpim and returns false. */
export async function requireCpimBody(req: MediaTyped, res: Responder): Promise<boolean> {
  if (req.mediaType === 'message/cpim') return true;
  await res.send(415, { headers: [['Accept', 'message/cpim']] });
  return false;
}
