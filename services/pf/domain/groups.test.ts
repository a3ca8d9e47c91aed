import { describe, expect, it } from 'vitest';
import { parseGroupState } from '../../../protocol/bodies/index.js';
import { groupStateBody, groupStateFor, participantRemovedNotice } from './group-state-object.js';
import {
  addParticipants,
  conferenceUriFor,
  createGroup,
  groupIdFromConferenceUri,
  members,
  nextStateTimestamp,
  removeParticipant,
} from './groups.js';

const ALICE = 'sip:alice@ims.lab';
const BOB = 'sip:bob@ims.lab';
const T0 = Date.UTC(2026, 10, 24, 10, 15, 0) + 345; // not on a second boundary

describe('groups (protocol-notes §1, §7)', () => {
  it('protocol-notes §1: conference URI sip:group-<id>@ims.lab, and back', () => {
    expect(conferenceUriFor('7')).toBe('sip:group-7@ims.lab');
    expect(groupIdFromConferenceUri('<sip:group-7@IMS.lab;transport=tcp>')).toBe('7');
    expect(groupIdFromConferenceUri('sip:conference-factory@ims.lab')).toBeUndefined();
  });

  it('protocol-notes §1: IDs are opaque tokens kept as given (generated ones are lower-case UUIDs); creator first, de-duplicated', () => {
    const g = createGroup({
      id: '7',
      creator: { uri: '<sip:alice@IMS.LAB>' },
      participants: [{ uri: BOB }, { uri: ALICE }, { uri: 'sip:bob@ims.lab;transport=tcp' }],
      conversationId: '0123456789ABCDEF0123456789ABCDEF',
      now: T0,
    });
    expect(g.conversationId).toBe('0123456789ABCDEF0123456789ABCDEF');
    expect(g.contributionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(g.participants.map((p) => p.uri)).toEqual([ALICE, BOB]);
    expect(g.creator).toBe(ALICE);
    expect(() => createGroup({ id: 'a b', creator: { uri: ALICE }, participants: [], now: T0 })).toThrow(
      RangeError,
    );
  });

  it('protocol-notes §7: state timestamps are whole UTC seconds and strictly increase per change', () => {
    expect(nextStateTimestamp(undefined, T0)).toBe(T0 - 345);
    expect(nextStateTimestamp(T0 - 345, T0 + 10)).toBe(T0 - 345 + 1000);
    expect(nextStateTimestamp(T0 - 345, T0 + 5000)).toBe(T0 - 345 + 5000);
    const g = createGroup({ id: '7', creator: { uri: ALICE }, participants: [{ uri: BOB }], now: T0 });
    const removed = removeParticipant(g, BOB, T0 + 1);
    const back = addParticipants(removed, [{ uri: BOB }], T0 + 2);
    expect([g.stateChangedAt, removed.stateChangedAt, back.stateChangedAt]).toEqual([
      T0 - 345,
      T0 - 345 + 1000,
      T0 - 345 + 2000,
    ]);
    expect(addParticipants(back, [{ uri: BOB }], T0 + 3)).toBe(back);
    expect(members(back).map((p) => p.uri)).toEqual([ALICE, BOB]);
  });

  it('D1.vii / protocol-notes §7: group state object lists current members, timestamp in seconds', () => {
    const g = createGroup({
      id: '7',
      creator: { uri: ALICE, displayName: 'alice' },
      participants: [{ uri: BOB }, { uri: 'sip:carol@ims.lab', displayName: 'carol' }],
      now: T0,
    });
    const removed = removeParticipant(g, BOB, T0 + 1);
    const { contentType, body } = groupStateBody(removed);
    expect(contentType).toBe('application/group-state-object+xml');
    expect(body.toString()).toContain('timestamp="2026-11-24T10:15:01Z"');
    expect(body.toString()).toContain('lastfocussessionid="sip:group-7@ims.lab"');
    const parsed = parseGroupState(body);
    expect(parsed).toEqual(groupStateFor(removed));
    expect(parsed.groupType).toBe('Closed');
    expect(parsed.participants).toEqual([
      { name: 'alice', commAddr: ALICE },
      { name: 'carol', commAddr: 'sip:carol@ims.lab' },
    ]);
  });

  it('RFC 4575 §4.6: participant removed → partial notice deleting that user', () => {
    const g = removeParticipant(
      createGroup({ id: '7', creator: { uri: ALICE }, participants: [{ uri: BOB }], now: T0 }),
      BOB,
      T0,
    );
    expect(participantRemovedNotice(g, BOB, 4)).toEqual({
      entity: 'sip:group-7@ims.lab',
      state: 'partial',
      version: 4,
      userCount: 1,
      users: [{ entity: BOB, state: 'deleted', endpoints: [] }],
    });
  });
});
