// The client's view of a CPM group chat (protocol-notes §1, §7): IDs, conference URI, subject, participants.
import { isValidCpmId, normalizeCpmId, sameCpmId } from '../../protocol/cpm/index.js';
import { aorOfText } from '../../protocol/sip/index.js';

/** A group participant as the group state object (D1.vii) or a resource list names it. */
export interface Participant {
  /** `sip:alice@ims.lab` (the group state object's `comm-addr`). */
  uri: string;
  name?: string;
}

/** Group session state as the client last learned it (D1.iii, A2.i). */
export type GroupSessionState = 'active' | 'inactive';

export interface GroupRecord {
  /** Stable store key: the normalized Conversation-ID, else `conf:` + the conference URI (see groupKey). */
  key: string;
  /** Normalized (lower-case dashed) Conversation-ID; absent only for a group learned without IDs. */
  conversationId?: string;
  /** Normalized Contribution-ID of the group session. */
  contributionId?: string;
  /** The group's conference URI in AoR form (`sip:group-7@ims.lab`). */
  conferenceUri: string;
  subject?: string;
  participants: Participant[];
  sessionState: GroupSessionState;
  /** True once the user left the group (603, D1.v.1); a left group is never matched for an invitation. */
  left: boolean;
  /** RFC 3339 timestamp of the last applied group state object (D1.vii); absent before the first one. */
  groupStateTimestamp?: string;
}

/** The AoR form of a URI (conference or user) for comparison (`sip:user@host`, host lower-cased); the trimmed text if unparsable. */
export function normalizeAor(uri: string): string {
  const text = uri.trim().replace(/^<(.*)>$/, '$1');
  try {
    return aorOfText(text);
  } catch {
    return text;
  }
}

export function sameAor(a: string, b: string): boolean {
  return normalizeAor(a) === normalizeAor(b);
}

/** The store key of a group: its Conversation-ID (stable for the life of the group) or its conference URI. */
export function groupKey(conversationId: string | undefined, conferenceUri: string): string {
  if (conversationId !== undefined && isValidCpmId(conversationId)) return normalizeCpmId(conversationId);
  return `conf:${normalizeAor(conferenceUri)}`;
}

/**
 * D1.iv / A2.ii: the known group whose Conversation-ID AND Contribution-ID are both identical to the given
 * ones (opaque tokens, compared exactly). Groups the user left are not matched.
 */
export function findGroupByIds(
  groups: readonly GroupRecord[],
  conversationId: string,
  contributionId: string,
): GroupRecord | undefined {
  return groups.find(
    (g) =>
      !g.left &&
      g.conversationId !== undefined &&
      g.contributionId !== undefined &&
      sameCpmId(g.conversationId, conversationId) &&
      sameCpmId(g.contributionId, contributionId),
  );
}

/**
 * 7.3.2 with one ID alone (RCS stacks often send only the Contribution-ID): the known (not left) group whose
 * Conversation-ID or Contribution-ID, as named, is that ID.
 */
export function findGroupByOneId(
  groups: readonly GroupRecord[],
  which: 'conversationId' | 'contributionId',
  id: string,
): GroupRecord | undefined {
  return groups.find((g) => {
    const own = g[which];
    return !g.left && own !== undefined && sameCpmId(own, id);
  });
}

/** The known (not left) group hosted at a conference URI. */
export function findGroupByConferenceUri(
  groups: readonly GroupRecord[],
  conferenceUri: string,
): GroupRecord | undefined {
  const want = normalizeAor(conferenceUri);
  return groups.find((g) => !g.left && normalizeAor(g.conferenceUri) === want);
}
