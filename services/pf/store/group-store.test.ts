import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGroup, groupStateFor, members } from '../domain/index.js';
import { openStores } from './stores.js';
import { ALICE, BOB, CAROL, item, memoryStores, sampleGroup, T0 } from './test-support/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('GroupStore (protocol-notes §1, §7)', () => {
  it('creates and reads back a group with its IDs, subject, creator and participants in order', () => {
    const { groups } = memoryStores();
    const g = sampleGroup();
    expect(groups.create(g)).toEqual(g);
    expect(groups.get('7')).toEqual(g);
    expect(g.conferenceUri).toBe('sip:group-7@ims.lab');
    expect(g.participants.map((p) => [p.uri, p.displayName, p.status])).toEqual([
      [ALICE, 'Alice', 'member'],
      [BOB, 'Bob', 'member'],
      [CAROL, 'Carol', 'member'],
    ]);
    expect(groups.get('nope')).toBeUndefined();
  });

  it('refuses a second group with the same id', () => {
    const { groups } = memoryStores();
    groups.create(sampleGroup());
    expect(() => groups.create(sampleGroup('7', 'other'))).toThrow(
      expect.objectContaining({ code: 'duplicate-group' }),
    );
  });

  it('protocol-notes §7 re-join: finds a group by conference URI, as an AoR', () => {
    const { groups } = memoryStores();
    groups.create(sampleGroup());
    expect(groups.byConferenceUri('sip:group-7@ims.lab')?.id).toBe('7');
    expect(groups.byConferenceUri('<sip:group-7@IMS.LAB;transport=tcp>')?.id).toBe('7');
    expect(groups.byConferenceUri('sip:group-8@ims.lab')).toBeUndefined();
  });

  it('protocol-notes §1: finds a group by its exact Conversation-ID (opaque token), and checks the Contribution-ID', () => {
    const { groups } = memoryStores();
    const g = groups.create(sampleGroup());
    groups.create(sampleGroup('8'));
    const hex32 = g.conversationId.replaceAll('-', '').toUpperCase();
    expect(groups.byConversationId(hex32)).toBeUndefined();
    expect(groups.byConversationId(g.conversationId)?.id).toBe('7');
    expect(groups.byConversationId(g.conversationId, g.contributionId)?.id).toBe('7');
    expect(groups.byConversationId(g.conversationId, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(groups.byConversationId('not-an-id')).toBeUndefined();
    expect(groups.byConversationId('not an id')).toBeUndefined();
  });

  it('lists groups oldest first and deletes a group together with its backlog', () => {
    const stores = memoryStores();
    stores.groups.create(sampleGroup('7'));
    stores.groups.create(
      createGroup({ id: '3', creator: { uri: BOB }, participants: [{ uri: ALICE }], now: T0 + 1000 }),
    );
    expect(stores.groups.list().map((g) => g.id)).toEqual(['7', '3']);
    stores.deferred.enqueue(item(CAROL, '7', 1));
    expect(stores.groups.delete('7')).toBe(true);
    expect(stores.groups.delete('7')).toBe(false);
    expect(stores.deferred.counts()).toEqual([]);
    expect(stores.groups.list().map((g) => g.id)).toEqual(['3']);
  });

  it('protocol-notes §4 (603): removing a participant keeps it listed as removed-declined, advances the state timestamp', () => {
    const { groups } = memoryStores();
    const g = groups.create(sampleGroup());
    const after = groups.removeParticipant('7', '<sip:bob@ims.lab>', T0 + 10)!;
    expect(after.participants.find((p) => p.uri === BOB)?.status).toBe('removed-declined');
    expect(members(after).map((p) => p.uri)).toEqual([ALICE, CAROL]);
    expect(after.stateChangedAt).toBeGreaterThan(g.stateChangedAt);
    expect(groupStateFor(after).participants.map((p) => p.commAddr)).toEqual([ALICE, CAROL]);
    // Removing again changes nothing.
    expect(groups.removeParticipant('7', BOB, T0 + 20)).toEqual(after);
    expect(groups.removeParticipant('nope', BOB, T0)).toBeUndefined();
    const readmitted = groups.addParticipants('7', [{ uri: BOB }], T0 + 30)!;
    expect(readmitted.participants.find((p) => p.uri === BOB)).toMatchObject({
      status: 'member',
      displayName: 'Bob',
    });
  });

  it('records the last session (restart gives a new Contribution-ID) and its end', () => {
    const { groups } = memoryStores();
    groups.create(sampleGroup());
    const contribution = 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE';
    const started = groups.recordSessionStart('7', contribution, T0 + 5)!;
    expect(started.contributionId).toBe(contribution);
    expect(started.lastSession).toEqual({ contributionId: contribution, startedAt: T0 + 5 });
    const ended = groups.recordSessionEnd('7', T0 + 9)!;
    expect(ended.lastSession).toEqual({
      contributionId: contribution,
      startedAt: T0 + 5,
      endedAt: T0 + 9,
    });
  });

  it('groups survive close and reopen of a file database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-groups-'));
    dirs.push(dir);
    const path = join(dir, 'pf.db');
    const first = openStores({ path });
    const g = first.groups.create(sampleGroup());
    first.groups.removeParticipant('7', CAROL, T0 + 1);
    first.db.close();
    const second = openStores({ path });
    const back = second.groups.get('7')!;
    expect(back.conversationId).toBe(g.conversationId);
    expect(back.participants.find((p) => p.uri === CAROL)?.status).toBe('removed-declined');
    second.db.close();
  });
});
