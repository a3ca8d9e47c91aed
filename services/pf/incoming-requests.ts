// Reading the PF's incoming requests: the body of a group INVITE (SDP, and the recipient list of a group
// creation) and who sent a request as the network vouches for it.
import { allEntries, bodyOfType, parseResourceLists } from '../../protocol/bodies/index.js';
import { formatUri, parseNameAddr, type SipRequest } from '../../protocol/sip/index.js';
import { aorKey } from './domain/index.js';

/**
 * The SDP offer of an incoming INVITE, and its recipient list when the body is multipart/mixed with an
 * application/resource-lists+xml part (protocol-notes §7 "Create"; RFC 5366). Throws on an unreadable body.
 */
export function readInviteBody(req: SipRequest): {
  sdp: Buffer | undefined;
  recipients: { uri: string; displayName?: string }[] | undefined;
} {
  const sdp = bodyOfType(req.body, req.contentType, 'application/sdp');
  const list = bodyOfType(req.body, req.contentType, 'application/resource-lists+xml');
  const recipients =
    list === undefined
      ? undefined
      : allEntries(parseResourceLists(list)).map((e) =>
          e.displayName === undefined ? { uri: e.uri } : { uri: e.uri, displayName: e.displayName },
        );
  return { sdp, recipients };
}

/**
 * Who sent a request, as the network vouches for it: the first SIP URI of P-Asserted-Identity (RFC 3325 §9.1:
 * the CSCF sets it from the registration the request came over), else From (requests from other network
 * entities, or a CSCF that does not assert).
 */
export function assertedIdentity(req: SipRequest): string {
  for (const value of req.getAll('p-asserted-identity')) {
    try {
      const uri = formatUri(parseNameAddr(value).uri);
      if (/^sips?:/i.test(uri)) return aorKey(uri);
    } catch {
      // an unreadable value asserts nothing
    }
  }
  return aorKey(formatUri(req.from.uri));
}
