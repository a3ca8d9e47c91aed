// The key under which the PF files a user: the address-of-record of a URI (RFC 3261 §10.3: scheme, user,
// host; host case-insensitive, no parameters), so `<sip:Alice@IMS.lab;transport=tcp>` and `sip:Alice@ims.lab`
// are the same participant and the same deferred-store recipient.
import { aorOfText } from '../../../protocol/sip/index.js';

/** The AoR key of a URI (`sip:alice@ims.lab`); an unparseable value is only trimmed (and `<>` stripped). */
export function aorKey(uri: string): string {
  const s = uri.trim().replace(/^<(.*)>$/, '$1');
  try {
    return aorOfText(s);
  } catch {
    return s;
  }
}

/** The same user whatever form each side wrote its URI in. */
export function sameUser(a: string, b: string): boolean {
  return aorKey(a) === aorKey(b);
}
