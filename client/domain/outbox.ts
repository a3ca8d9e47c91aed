// Outbox and re-join policy (D1.viii, R3, protocol-notes §7) as a pure state machine: one transition function
// from (state, event) to (state, commands). The wiring layer feeds it events and executes the commands.

/** A message the user typed, identified by the imdn.Message-ID the caller chose for it. */
export interface OutgoingMessage {
  readonly id: string;
  readonly text: string;
}

/**
 * Our own outgoing session for a group:
 * - `idle`: none.
 * - `joining`: a re-join INVITE to the conference URI is in flight (R3, D1.viii).
 * - `restarting`: a restart INVITE through the conference factory is in flight (after a re-join 404).
 * - `active`: a sendrecv group session exists (ours or the PF's reconnect, A2.i); messages go out on it.
 */
export type SessionPhase = 'idle' | 'joining' | 'restarting' | 'active';

/** States are immutable values: a transition returns new objects, or the same ones when nothing changed. */
export interface GroupOutboxState {
  readonly phase: SessionPhase;
  /** A deferred (sendonly) session from the PF is in progress for this group (D1.i until its BYE). */
  readonly deferred: boolean;
  /** Messages waiting for an active session, oldest first. */
  readonly queue: readonly OutgoingMessage[];
}

export interface OutboxState {
  readonly registered: boolean;
  /** Per group, keyed by GroupRecord.key. */
  readonly groups: Readonly<Record<string, GroupOutboxState>>;
}

export type OutboxEvent =
  | { type: 'registered' }
  | { type: 'deregistered' }
  | { type: 'deferredSessionStarted'; group: string }
  /** The PF's BYE (or any end) of the deferred session. */
  | { type: 'deferredSessionEnded'; group: string }
  /** A sendrecv session for the group is up: our re-join/restart succeeded, or the PF reconnected us (A2.i). */
  | { type: 'activeSessionStarted'; group: string }
  | { type: 'activeSessionEnded'; group: string }
  | { type: 'userTyped'; group: string; message: OutgoingMessage }
  /** The re-join INVITE failed with a final response (or timed out: 408). */
  | { type: 'rejoinFailed'; group: string; status: number }
  /** The restart INVITE through the factory failed. */
  | { type: 'restartFailed'; group: string; status: number }
  /** The client's own retry timer after a failed re-join or restart: try again if still allowed (R3). */
  | { type: 'retry'; group: string };

export type OutboxCommand =
  /** INVITE to the group's conference URI with its IDs, cpm.session, a=sendrecv (R3, D1.viii). */
  | { type: 'rejoin'; group: string; clause: 'D1.viii' | 'R3' }
  /** MSRP SEND of the message on the group's active session (A2.i.3). */
  | { type: 'send-on-session'; group: string; message: OutgoingMessage; clause: 'A2.i' }
  /** INVITE to the conference factory with the same IDs and the stored participants (protocol-notes §7). */
  | { type: 'restart-via-factory'; group: string; clause: 'protocol-notes §7' };

export interface OutboxTransition {
  state: OutboxState;
  commands: OutboxCommand[];
}

export const INITIAL_OUTBOX: OutboxState = { registered: false, groups: {} };

const EMPTY_GROUP: GroupOutboxState = { phase: 'idle', deferred: false, queue: [] };

/**
 * State restored after a client restart: queued messages survive, sessions and registration do not.
 */
export function restoreOutbox(saved: OutboxState): OutboxState {
  const groups: Record<string, GroupOutboxState> = {};
  for (const [key, g] of Object.entries(saved.groups)) {
    if (g.queue.length > 0) groups[key] = { phase: 'idle', deferred: false, queue: [...g.queue] };
  }
  return { registered: false, groups };
}

/** R3 / D1.viii: a re-join is allowed only with something to send, registered, and no deferred session. */
export function mayRejoin(registered: boolean, g: GroupOutboxState): boolean {
  return registered && g.phase === 'idle' && !g.deferred && g.queue.length > 0;
}

/** The one transition function. Pure: the input state is not modified. */
export function outboxTransition(state: OutboxState, event: OutboxEvent): OutboxTransition {
  if (event.type === 'registered' || event.type === 'deregistered') {
    return registrationChanged(state, event.type === 'registered');
  }
  const before = state.groups[event.group] ?? EMPTY_GROUP;
  const { group, commands } = groupTransition(state.registered, event.group, before, event);
  // Unchanged (a message sent on the active session): the same state, so that nothing is saved.
  if (group === before) return { state, commands };
  const groups = { ...state.groups };
  if (group.phase === 'idle' && !group.deferred && group.queue.length === 0) delete groups[event.group];
  else groups[event.group] = group;
  return { state: { registered: state.registered, groups }, commands };
}

function registrationChanged(state: OutboxState, registered: boolean): OutboxTransition {
  const commands: OutboxCommand[] = [];
  const groups: Record<string, GroupOutboxState> = {};
  for (const [key, g] of Object.entries(state.groups)) {
    let next = g;
    if (!registered && (g.phase === 'joining' || g.phase === 'restarting')) {
      // The attempt dies with the registration; the queue waits for the next one.
      next = { ...g, phase: 'idle' };
    }
    if (registered && mayRejoin(true, next)) {
      // R3: re-join after (re-)registering only because the user has a message to send.
      next = { ...next, phase: 'joining' };
      commands.push({ type: 'rejoin', group: key, clause: 'R3' });
    }
    groups[key] = next;
  }
  return { state: { registered, groups }, commands };
}

type GroupEvent = Exclude<OutboxEvent, { type: 'registered' } | { type: 'deregistered' }>;

function groupTransition(
  registered: boolean,
  key: string,
  g: GroupOutboxState,
  event: GroupEvent,
): { group: GroupOutboxState; commands: OutboxCommand[] } {
  switch (event.type) {
    case 'userTyped': {
      if (g.phase === 'active') {
        // A2.i.3: new chat messages go out on the active group session.
        return {
          group: g,
          commands: [{ type: 'send-on-session', group: key, message: event.message, clause: 'A2.i' }],
        };
      }
      // Offline, deferred-only (D1.viii) or a join in flight: queue, then re-join if allowed now.
      return rejoinIfAllowed(registered, key, { ...g, queue: [...g.queue, event.message] }, 'D1.viii');
    }
    case 'deferredSessionStarted':
      return { group: { ...g, deferred: true }, commands: [] };
    case 'deferredSessionEnded':
      // D1.viii: the reply starts a new session only after the deferred session has completed.
      return rejoinIfAllowed(registered, key, { ...g, deferred: false }, 'D1.viii');
    case 'activeSessionStarted': {
      const commands: OutboxCommand[] = g.queue.map((message) => ({
        type: 'send-on-session' as const,
        group: key,
        message,
        clause: 'A2.i' as const,
      }));
      return { group: { ...g, phase: 'active', queue: [] }, commands };
    }
    case 'activeSessionEnded':
      if (g.phase !== 'active') return { group: g, commands: [] };
      return rejoinIfAllowed(registered, key, { ...g, phase: 'idle' }, 'R3');
    case 'rejoinFailed':
      if (g.phase !== 'joining') return { group: g, commands: [] };
      // protocol-notes §7: 404 from the PF (the group session is gone) → restart through the factory, under the
      // same conditions as a re-join.
      if (event.status === 404 && registered && !g.deferred && g.queue.length > 0) {
        return {
          group: { ...g, phase: 'restarting' },
          commands: [{ type: 'restart-via-factory', group: key, clause: 'protocol-notes §7' }],
        };
      }
      // Other failures: keep the queue; retried on the next registration, reply or end of a deferred session.
      return { group: { ...g, phase: 'idle' }, commands: [] };
    case 'restartFailed':
      if (g.phase !== 'restarting') return { group: g, commands: [] };
      return { group: { ...g, phase: 'idle' }, commands: [] };
    case 'retry':
      // Still something to send, registered, no session and no deferred session running: re-join again.
      return rejoinIfAllowed(registered, key, g, 'R3');
  }
}

function rejoinIfAllowed(
  registered: boolean,
  key: string,
  g: GroupOutboxState,
  clause: 'D1.viii' | 'R3',
): { group: GroupOutboxState; commands: OutboxCommand[] } {
  if (!mayRejoin(registered, g)) return { group: g, commands: [] };
  return { group: { ...g, phase: 'joining' }, commands: [{ type: 'rejoin', group: key, clause }] };
}

/** Feed a sequence of events; the final state and every command in order. */
export function runOutbox(state: OutboxState, events: readonly OutboxEvent[]): OutboxTransition {
  const commands: OutboxCommand[] = [];
  let current = state;
  for (const e of events) {
    const t = outboxTransition(current, e);
    current = t.state;
    commands.push(...t.commands);
  }
  return { state: current, commands };
}
