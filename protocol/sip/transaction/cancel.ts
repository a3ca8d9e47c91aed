// CANCEL construction (RFC 3261 §9.1).
import { SipRequest } from '../message.js';

/**
 * §9.1: a CANCEL for `invite`: same Request-URI, Call-ID, To, From, CSeq number (method CANCEL), a
 * single Via equal to the INVITE's top Via (same branch), and the INVITE's Route headers.
 */
export function buildCancel(invite: SipRequest): SipRequest {
  const cancel = new SipRequest('CANCEL', invite.uri);
  const topVia = invite.getAll('via')[0];
  if (topVia !== undefined) cancel.append('Via', topVia);
  cancel.append('Max-Forwards', 70);
  for (const route of invite.fields('route')) cancel.append('Route', route.value);
  cancel.append('From', invite.get('from') ?? '');
  cancel.append('To', invite.get('to') ?? '');
  cancel.append('Call-ID', invite.get('call-id') ?? '');
  cancel.append('CSeq', `${invite.cseq.seq} CANCEL`);
  return cancel;
}
