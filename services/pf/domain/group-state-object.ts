// The group state object the PF sends first in a deferred session (protocol-notes §4, §7; D1.vii), and the
// conference-info partial notification that tells subscribers a participant left (RFC 4575 §4.6).
import {
  buildGroupState,
  type ConferenceInfo,
  GROUP_STATE_CONTENT_TYPE,
  type GroupState,
} from '../../../protocol/bodies/index.js';
import { type Group, members } from './groups.js';

/** protocol-notes §7: the lab's groups are closed groups. */
export const LAB_GROUP_TYPE = 'Closed';

/**
 * protocol-notes §7: `<groupstate timestamp lastfocussessionid group-type>` with one `<participant>` per current
 * member (removed participants are not listed). The timestamp is the group's last participant-list change
 * (Group.stateChangedAt: UTC whole seconds, strictly increasing per change, see nextStateTimestamp), so the same
 * list always carries the same timestamp and a newer list a later one.
 */
export function groupStateFor(group: Group): GroupState {
  return {
    timestamp: new Date(Math.floor(group.stateChangedAt / 1000) * 1000),
    lastFocusSessionId: group.conferenceUri,
    groupType: LAB_GROUP_TYPE,
    participants: members(group).map((p) =>
      p.displayName === undefined ? { commAddr: p.uri } : { name: p.displayName, commAddr: p.uri },
    ),
  };
}

/** The serialised object and its MSRP Content-Type (application/group-state-object+xml, D1.vii). */
export function groupStateBody(group: Group): { contentType: string; body: Buffer } {
  return { contentType: GROUP_STATE_CONTENT_TYPE, body: buildGroupState(groupStateFor(group)) };
}

/**
 * RFC 4575 §4.6 partial notification: `<user entity=... state="deleted"/>` for the removed participant, with
 * the new user count. `version` is the subscription's next version (the node keeps the counter).
 */
export function participantRemovedNotice(group: Group, removedUri: string, version: number): ConferenceInfo {
  return {
    entity: group.conferenceUri,
    state: 'partial',
    version,
    userCount: members(group).length,
    users: [{ entity: removedUri, state: 'deleted', endpoints: [] }],
  };
}
