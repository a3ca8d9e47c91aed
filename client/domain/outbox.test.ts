import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { knownGroup } from '../test-support/fixtures.js';
import {
  factoryRestartRequest,
  INITIAL_OUTBOX,
  type OutboxCommand,
  type OutboxEvent,
  type OutboxState,
  outboxTransition,
  rejoinRequest,
  restoreOutbox,
  runOutbox,
} from './index.js';

const G = 'g1';
const msg = (id: string, text = `text ${id}`) => ({ id, text });
const typed = (id: string, group = G): OutboxEvent => ({ type: 'userTyped', group, message: msg(id) });
const types = (cmds: OutboxCommand[]) => cmds.map((c) => `${c.type}(${c.group})`);

describe('outbox and re-join policy (D1.viii, R3)', () => {
  it('D1.viii: a reply typed during a deferred session → re-join only after deferredSessionEnded', () => {
    let t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      { type: 'deferredSessionStarted', group: G },
      typed('m1'),
    ]);
    expect(t.commands).toEqual([]);
    expect(t.state.groups[G]).toEqual({ phase: 'idle', deferred: true, queue: [msg('m1')] });
    t = outboxTransition(t.state, { type: 'deferredSessionEnded', group: G });
    expect(t.commands).toEqual([{ type: 'rejoin', group: G, clause: 'D1.viii' }]);
    expect(t.state.groups[G]!.phase).toBe('joining');
    // The re-join succeeds: the queued reply goes out on the new active session.
    t = outboxTransition(t.state, { type: 'activeSessionStarted', group: G });
    expect(t.commands).toEqual([{ type: 'send-on-session', group: G, message: msg('m1'), clause: 'A2.i' }]);
    expect(t.state.groups[G]).toEqual({ phase: 'active', deferred: false, queue: [] });
  });

  it('D1.viii: messages typed while the re-join is in flight are queued and sent in order once active', () => {
    const t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      typed('m1'),
      typed('m2'),
      typed('m3'),
      { type: 'activeSessionStarted', group: G },
    ]);
    expect(types(t.commands)).toEqual([
      'rejoin(g1)',
      'send-on-session(g1)',
      'send-on-session(g1)',
      'send-on-session(g1)',
    ]);
    expect(t.commands.slice(1).map((c) => (c.type === 'send-on-session' ? c.message.id : ''))).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
  });

  it('A2.i.3: a message typed on an active session is sent and leaves the state as it was (the same value)', () => {
    const active = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      { type: 'activeSessionStarted', group: G },
    ]);
    const t = outboxTransition(active.state, typed('a1'));
    expect(types(t.commands)).toEqual(['send-on-session(g1)']);
    expect(t.state).toBe(active.state);
    // A change still gives a new value, and the old one stays as it was.
    const ended = outboxTransition(active.state, { type: 'activeSessionEnded', group: G });
    expect(ended.state).not.toBe(active.state);
    expect(active.state.groups[G]?.phase).toBe('active');
  });

  it('R3: no re-join on registration with an empty outbox', () => {
    const t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      { type: 'deregistered' },
      { type: 'registered' },
      { type: 'deferredSessionStarted', group: G },
      { type: 'deferredSessionEnded', group: G },
      { type: 'activeSessionStarted', group: G },
      { type: 'activeSessionEnded', group: G },
      { type: 'registered' },
    ]);
    expect(t.commands).toEqual([]);
  });

  it('R3: a message typed offline → queued, re-join after registering', () => {
    let t = runOutbox(INITIAL_OUTBOX, [typed('m1')]);
    expect(t.commands).toEqual([]);
    expect(t.state.groups[G]!.queue).toEqual([msg('m1')]);
    t = outboxTransition(t.state, { type: 'registered' });
    expect(t.commands).toEqual([{ type: 'rejoin', group: G, clause: 'R3' }]);
  });

  it('R3: registering while a deferred session is still in progress waits for its end', () => {
    const t = runOutbox(INITIAL_OUTBOX, [
      typed('m1'),
      { type: 'deferredSessionStarted', group: G },
      { type: 'registered' },
    ]);
    expect(t.commands).toEqual([]);
    expect(types(outboxTransition(t.state, { type: 'deferredSessionEnded', group: G }).commands)).toEqual([
      'rejoin(g1)',
    ]);
  });

  it('A2.i: with an active session a typed message is sent on it at once', () => {
    const t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      { type: 'activeSessionStarted', group: G },
      typed('m1'),
    ]);
    expect(t.commands).toEqual([{ type: 'send-on-session', group: G, message: msg('m1'), clause: 'A2.i' }]);
  });

  it('R3: after the active session ends, the next message triggers a re-join', () => {
    const t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      { type: 'activeSessionStarted', group: G },
      { type: 'activeSessionEnded', group: G },
      typed('m1'),
    ]);
    expect(t.commands).toEqual([{ type: 'rejoin', group: G, clause: 'D1.viii' }]);
  });

  it('protocol-notes §7: re-join 404 → restart via the factory; its success flushes the queue', () => {
    let t = runOutbox(INITIAL_OUTBOX, [{ type: 'registered' }, typed('m1')]);
    t = outboxTransition(t.state, { type: 'rejoinFailed', group: G, status: 404 });
    expect(t.commands).toEqual([{ type: 'restart-via-factory', group: G, clause: 'protocol-notes §7' }]);
    expect(t.state.groups[G]!.phase).toBe('restarting');
    t = outboxTransition(t.state, { type: 'activeSessionStarted', group: G });
    expect(types(t.commands)).toEqual(['send-on-session(g1)']);
  });

  it('protocol-notes §7: other re-join failures keep the queue; the next registration retries', () => {
    let t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      typed('m1'),
      { type: 'rejoinFailed', group: G, status: 480 },
    ]);
    expect(types(t.commands)).toEqual(['rejoin(g1)']);
    expect(t.state.groups[G]).toEqual({ phase: 'idle', deferred: false, queue: [msg('m1')] });
    t = outboxTransition(t.state, { type: 'registered' });
    expect(types(t.commands)).toEqual(['rejoin(g1)']);
    // A restart failure also drops back to idle with the queue intact.
    t = runOutbox(t.state, [
      { type: 'rejoinFailed', group: G, status: 404 },
      { type: 'restartFailed', group: G, status: 500 },
    ]);
    expect(types(t.commands)).toEqual(['restart-via-factory(g1)']);
    expect(t.state.groups[G]).toEqual({ phase: 'idle', deferred: false, queue: [msg('m1')] });
  });

  it('R3: deregistering abandons a re-join in flight; registering again retries', () => {
    const t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      typed('m1'),
      { type: 'deregistered' },
      { type: 'registered' },
    ]);
    expect(types(t.commands)).toEqual(['rejoin(g1)', 'rejoin(g1)']);
  });

  it('R3: groups are independent', () => {
    const t = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      { type: 'deferredSessionStarted', group: 'a' },
      typed('m1', 'a'),
      typed('m2', 'b'),
    ]);
    expect(types(t.commands)).toEqual(['rejoin(b)']);
  });

  it('R3: the transition is pure (the input state is not modified)', () => {
    const s0 = runOutbox(INITIAL_OUTBOX, [typed('m1')]).state;
    const copy = structuredClone(s0);
    outboxTransition(s0, { type: 'registered' });
    outboxTransition(s0, typed('m2'));
    expect(s0).toEqual(copy);
  });

  it('R3: a restored outbox keeps the queue but no session or registration', () => {
    const s = runOutbox(INITIAL_OUTBOX, [
      { type: 'registered' },
      typed('m1'),
      { type: 'deferredSessionStarted', group: 'x' },
    ]).state;
    expect(restoreOutbox(s)).toEqual({
      registered: false,
      groups: { [G]: { phase: 'idle', deferred: false, queue: [msg('m1')] } },
    });
  });

  it('R3 / D1.viii: the requests for rejoin and restart carry the group IDs, cpm.session and sendrecv', () => {
    const g = knownGroup();
    expect(rejoinRequest(g)).toMatchObject({
      requestUri: 'sip:group-7@ims.lab',
      conversationId: g.conversationId,
      contributionId: g.contributionId,
      icsi: 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session',
      direction: 'sendrecv',
    });
    const r = factoryRestartRequest(g, 'sip:alice@IMS.lab');
    expect(r).toMatchObject({
      requestUri: 'sip:conference-factory@ims.lab',
      conversationId: g.conversationId,
      contributionId: g.contributionId,
      require: 'recipient-list-invite',
      direction: 'sendrecv',
    });
    expect(r.recipients).toEqual([{ uri: 'sip:bob@ims.lab' }, { uri: 'sip:carol@ims.lab' }]);
  });
});

// ---- property: the re-join guard holds for every event sequence ----

const GROUPS = ['a', 'b'];
const eventArb: fc.Arbitrary<OutboxEvent> = fc.oneof(
  fc.constant<OutboxEvent>({ type: 'registered' }),
  fc.constant<OutboxEvent>({ type: 'deregistered' }),
  ...(
    ['deferredSessionStarted', 'deferredSessionEnded', 'activeSessionStarted', 'activeSessionEnded'] as const
  ).map((type) => fc.constantFrom(...GROUPS).map((group): OutboxEvent => ({ type, group }))),
  fc
    .record({ group: fc.constantFrom(...GROUPS), id: fc.nat(1000) })
    .map(
      ({ group, id }): OutboxEvent => ({ type: 'userTyped', group, message: { id: `m${id}`, text: 'x' } }),
    ),
  fc
    .record({ group: fc.constantFrom(...GROUPS), status: fc.constantFrom(404, 408, 480, 500) })
    .map(({ group, status }): OutboxEvent => ({ type: 'rejoinFailed', group, status })),
  fc
    .record({ group: fc.constantFrom(...GROUPS), status: fc.constantFrom(404, 500) })
    .map(({ group, status }): OutboxEvent => ({ type: 'restartFailed', group, status })),
);

describe('outbox property', () => {
  it('D1.viii / R3: never rejoin (or restart) during a deferred session, while unregistered, or with nothing to send', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        // An independent reference model, tracked from the events and the commands only.
        let registered = false;
        const deferred = new Set<string>();
        const pending = new Map<string, number>(); // typed minus sent
        let state: OutboxState = INITIAL_OUTBOX;
        for (const e of events) {
          if (e.type === 'registered') registered = true;
          if (e.type === 'deregistered') registered = false;
          if (e.type === 'deferredSessionStarted') deferred.add(e.group);
          if (e.type === 'deferredSessionEnded') deferred.delete(e.group);
          if (e.type === 'userTyped') pending.set(e.group, (pending.get(e.group) ?? 0) + 1);
          const t = outboxTransition(state, e);
          state = t.state;
          for (const c of t.commands) {
            if (c.type === 'send-on-session') {
              pending.set(c.group, (pending.get(c.group) ?? 0) - 1);
              continue;
            }
            expect(deferred.has(c.group), `${c.type} during a deferred session`).toBe(false);
            expect(registered, `${c.type} while unregistered`).toBe(true);
            expect(pending.get(c.group) ?? 0, `${c.type} with an empty outbox`).toBeGreaterThan(0);
          }
          // Nothing is lost: what was typed and not sent is in the queue.
          for (const g of GROUPS) expect(state.groups[g]?.queue.length ?? 0).toBe(pending.get(g) ?? 0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
