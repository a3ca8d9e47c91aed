// Group state object, application/group-state-object+xml (OMA CPM Message Storage §5.2.8; protocol-notes §7).
import { formatDateTime, parseDateTime } from './datetime.js';
import { BodyParseError } from './errors.js';
import { attr, buildXml, parseXml, requireAttr, type XmlLimits } from './xml.js';

export const GROUP_STATE_CONTENT_TYPE = 'application/group-state-object+xml';

export interface GroupStateParticipant {
  name?: string;
  /** The participant's address (`comm-addr`), e.g. `sip:alice@ims.lab`. */
  commAddr: string;
}

export interface GroupState {
  timestamp: Date;
  /** The conference URI of the group's last focus session. */
  lastFocusSessionId: string;
  /** `group-type`, e.g. `Closed`. */
  groupType?: string;
  participants: GroupStateParticipant[];
}

/**
 * Parse a group state object. The lab writes it without a namespace (protocol-notes §7); elements are matched
 * by local name whatever namespace a sender used. Throws BodyParseError.
 */
export function parseGroupState(body: Buffer | string, limits?: XmlLimits): GroupState {
  const root = parseXml(body, limits);
  if (root.name !== 'groupstate')
    throw new BodyParseError('schema', `expected <groupstate>, got <${root.name}>`);
  let timestamp: Date;
  try {
    timestamp = parseDateTime(requireAttr(root, 'timestamp', 'groupstate'));
  } catch (err) {
    throw new BodyParseError('schema', `groupstate: ${(err as Error).message}`);
  }
  const state: GroupState = {
    timestamp,
    lastFocusSessionId: requireAttr(root, 'lastfocussessionid', 'groupstate'),
    participants: root.children
      .filter((c) => c.name === 'participant' && c.ns === root.ns)
      .map((p) => {
        const participant: GroupStateParticipant = { commAddr: requireAttr(p, 'comm-addr', 'participant') };
        const name = attr(p, 'name');
        if (name !== undefined) participant.name = name;
        return participant;
      }),
  };
  const groupType = attr(root, 'group-type');
  if (groupType !== undefined) state.groupType = groupType;
  return state;
}

/** Serialise a group state object; the timestamp is written in UTC without fraction when it has none. */
export function buildGroupState(state: GroupState): Buffer {
  const precise = state.timestamp.getUTCMilliseconds() !== 0;
  return buildXml({
    name: 'groupstate',
    attrs: {
      timestamp: formatDateTime(state.timestamp, precise ? 'millis' : 'seconds'),
      lastfocussessionid: state.lastFocusSessionId,
      'group-type': state.groupType,
    },
    children: state.participants.map((p) => ({
      name: 'participant',
      attrs: { name: p.name, 'comm-addr': p.commAddr },
    })),
  });
}
