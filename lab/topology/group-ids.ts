// Provisioned groups get stable IDs derived from the domain and the group name, so that every node of
// the lab (embedded or in separate containers) computes the same Conversation-ID and Contribution-ID
// without talking to the others. They are RFC 4122 §4.3 name-based (SHA-1, version 5) UUIDs: valid
// lower-case UUIDs on the wire, as protocol-notes §1 requires.
import { createHash } from 'node:crypto';

/** RFC 4122 Appendix C name space for URLs: 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
const URL_NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/** RFC 4122 §4.3 version-5 UUID of `name` in the URL name space. */
export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(URL_NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface ProvisionedGroupIds {
  conversationId: string;
  contributionId: string;
  conferenceUri: string;
}

export function provisionedGroupIds(domain: string, name: string): ProvisionedGroupIds {
  return {
    conversationId: uuidV5(`cpm-lab:${domain}:group:${name}:conversation`),
    contributionId: uuidV5(`cpm-lab:${domain}:group:${name}:contribution`),
    conferenceUri: `sip:group-${name}@${domain}`,
  };
}
