// Conversation-ID / Contribution-ID (protocol-notes §1): lower-case RFC 4122 UUIDs on the wire; on input any
// case and the 32-hex-digit form are accepted.
import { randomUUID } from 'node:crypto';
import { CpmParseError } from './errors.js';

export const CONVERSATION_ID = 'Conversation-ID';
export const CONTRIBUTION_ID = 'Contribution-ID';
export const IN_REPLY_TO_CONTRIBUTION_ID = 'InReplyTo-Contribution-ID';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX32_RE = /^[0-9a-f]{32}$/i;

/** A fresh lower-case RFC 4122 version 4 UUID. */
export function newConversationId(): string {
  return randomUUID();
}

export function newContributionId(): string {
  return randomUUID();
}

export function isValidCpmId(value: string): boolean {
  const s = value.trim();
  return UUID_RE.test(s) || HEX32_RE.test(s);
}

/** The canonical lower-case dashed UUID form. Throws CpmParseError('id') when the value is not an ID. */
export function normalizeCpmId(value: string): string {
  const s = value.trim().toLowerCase();
  if (UUID_RE.test(s)) return s;
  if (HEX32_RE.test(s))
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  throw new CpmParseError('id', `not a Conversation-/Contribution-ID: ${JSON.stringify(value)}`);
}

/** Same ID whatever case and form (dashed or 32 hex digits) each side used; false if either is invalid. */
export function sameCpmId(a: string, b: string): boolean {
  return isValidCpmId(a) && isValidCpmId(b) && normalizeCpmId(a) === normalizeCpmId(b);
}
