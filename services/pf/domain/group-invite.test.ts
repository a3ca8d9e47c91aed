import { describe, expect, it } from 'vitest';
import { buildImdnCpim, imdnHeaders, IMDN_NS_DECLARATION } from '../../../protocol/imdn/index.js';
import { createCpim, serializeCpim } from '../../../protocol/cpim/index.js';
import { describeCpimPayload } from './deferred-payload.js';
import { classifyGroupInvite, type GroupLookup } from './group-invite.js';
import { createGroup, type Group, removeParticipant, type SessionState } from './groups.js';

const ALICE = 'sip:alice@ims.lab';
const BOB = 'sip:bob@ims.lab';
const CAROL = 'sip:carol@ims.lab';
const T0 = Date.UTC(2026, 10, 24, 10, 15, 0);

function lookup(group: Group, session: SessionState, registered: string[]): GroupLookup {
  return {
    byConferenceUri: (uri) => (uri.includes(`group-${group.id}@`) ? group : undefined),
    byConversationId: (id) => (id === group.conversationId ? group : undefined),
    sessionState: () => session,
    isRegistered: (user) => registered.includes(user),
  };
}

const group = createGroup({
  id: '7',
  creator: { uri: ALICE },
  participants: [{ uri: BOB }, { uri: CAROL }],
  now: T0,
});
const rejoin = {
  requestUri: 'sip:group-7@ims.lab',
  from: ALICE,
  conversationId: group.conversationId,
  contributionId: group.contributionId,
  hasRecipientList: false,
};

describe('re-join / restart / create (protocol-notes §7; R3, D1.viii)', () => {
  it('R3: re-join of an active session → join', () => {
    expect(classifyGroupInvite(rejoin, lookup(group, 'active', [BOB]))).toEqual({ action: 'join', group });
  });

  it('R3: re-join of an inactive session → restart, invite the registered others, store for the rest', () => {
    expect(classifyGroupInvite(rejoin, lookup(group, 'inactive', [ALICE, CAROL]))).toEqual({
      action: 'restart',
      group,
      invite: [CAROL],
      storeFor: [BOB],
      revived: false,
    });
  });

  it('protocol-notes §7: unknown conference URI or foreign Conversation-ID → 404', () => {
    const l = lookup(group, 'active', []);
    expect(classifyGroupInvite({ ...rejoin, requestUri: 'sip:group-9@ims.lab' }, l)).toMatchObject({
      status: 404,
    });
    expect(
      classifyGroupInvite({ ...rejoin, conversationId: '00000000-0000-4000-8000-000000000000' }, l),
    ).toMatchObject({ status: 404 });
  });

  it('protocol-notes §7: restart through the factory with known IDs revives the group', () => {
    const decision = classifyGroupInvite(
      { ...rejoin, requestUri: 'sip:conference-factory@ims.lab', hasRecipientList: true },
      lookup(group, 'inactive', [BOB]),
    );
    expect(decision).toMatchObject({ action: 'restart', revived: true, invite: [BOB], storeFor: [CAROL] });
  });

  it('protocol-notes §7: factory without known IDs creates a group (recipient list required)', () => {
    const l = lookup(group, 'inactive', []);
    const fresh = { requestUri: 'sip:conference-factory@ims.lab', from: ALICE, hasRecipientList: true };
    expect(classifyGroupInvite(fresh, l)).toEqual({ action: 'create' });
    expect(classifyGroupInvite({ ...fresh, hasRecipientList: false }, l)).toMatchObject({ status: 400 });
  });

  it('a user removed by its 603 cannot re-join; IDs that are not RFC 3261 tokens are refused', () => {
    const removed = removeParticipant(group, ALICE, T0 + 1);
    expect(classifyGroupInvite(rejoin, lookup(removed, 'active', []))).toMatchObject({ status: 403 });
    expect(
      classifyGroupInvite({ ...rejoin, contributionId: 'x y z' }, lookup(group, 'active', [])),
    ).toMatchObject({
      status: 400,
    });
  });
});

describe('CPIM payload description (protocol-notes §6)', () => {
  it('reads imdn.Message-ID and the original sender of a chat message', () => {
    const body = serializeCpim(
      createCpim({
        from: { uri: 'sip:bob@IMS.lab' },
        to: { uri: 'sip:group-7@ims.lab' },
        namespaces: [IMDN_NS_DECLARATION],
        headers: imdnHeaders('0b1d4f0e5c2a4e8a', ['positive-delivery']),
        contentType: 'text/plain;charset=utf-8',
        content: Buffer.from('Hello team'),
      }),
    );
    expect(describeCpimPayload(body)).toEqual({
      kind: 'message',
      messageId: '0b1d4f0e5c2a4e8a',
      sender: BOB,
    });
  });

  it('recognises an IMDN and rejects what is not CPIM', () => {
    const imdn = serializeCpim(
      buildImdnCpim({
        from: { uri: ALICE },
        to: { uri: BOB },
        messageId: 'n-1',
        notification: {
          messageId: '0b1d4f0e5c2a4e8a',
          dateTime: new Date(T0),
          notification: { kind: 'delivery', status: 'delivered' },
        },
      }),
    );
    expect(describeCpimPayload(imdn)).toEqual({ kind: 'imdn', messageId: 'n-1', sender: ALICE });
    expect(describeCpimPayload(Buffer.from('not cpim'))).toBeUndefined();
  });
});
