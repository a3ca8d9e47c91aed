// Conversation-ID / Contribution-ID (docs/protocol-profile.md §1): the lab writes lower-case RFC 4122 UUIDs;
// on input an ID is an opaque RFC 3261 token, compared exactly (other stacks send 32 hex digits, upper case
// or formats of their own, and echo back what they were given).
import { randomUUID } from 'node:crypto';
import { CpmParseError } from './errors.js';

export const CONVERSATION_ID = 'Conversation-ID';
export const CONTRIBUTION_ID = 'Contribution-ID';
export const IN_REPLY_TO_CONTRIBUTION_ID = 'InReplyTo-Contribution-ID';

/** RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"). */
const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
/** The longest ID accepted; IDs are echoed in headers and stored, so they are bounded. */
export const MAX_CPM_ID_LENGTH = 256;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX32_RE = /^[0-9a-f]{32}$/i;

/** A fresh lower-case RFC 4122 version 4 UUID. */
export function newConversationId(): string {
  return randomUUID();
}

export function newContributionId(): string {
  return randomUUID();
}

/** An ID is any RFC 3261 token (after trimming surrounding white space), at most MAX_CPM_ID_LENGTH long. */
export function isValidCpmId(value: string): boolean {
  const s = value.trim();
  return s.length > 0 && s.length <= MAX_CPM_ID_LENGTH && TOKEN_RE.test(s);
}

/** Whether a value has the form the lab generates (a UUID, or its 32-hex-digit form). For CLI shorthands only. */
export function looksLikeUuid(value: string): boolean {
  const s = value.trim();
  return UUID_RE.test(s) || HEX32_RE.test(s);
}

/**
 * The ID as it is kept and compared: the token with surrounding white space removed, otherwise unchanged (IDs
 * are opaque: no case folding, no reformatting). Throws CpmParseError('id') when the value is not a token.
 */
export function normalizeCpmId(value: string): string {
  const s = value.trim();
  if (!isValidCpmId(s)) {
    throw new CpmParseError('id', `not a Conversation-/Contribution-ID token: ${JSON.stringify(value)}`);
  }
  return s;
}

/** Exact comparison of two IDs (after trimming); false if either is not a token. */
export function sameCpmId(a: string, b: string): boolean {
  return isValidCpmId(a) && isValidCpmId(b) && a.trim() === b.trim();
}
