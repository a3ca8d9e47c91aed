// The live group sessions of the PF, by group: created and ended by the controlling role, read by the others
// (is the session active, is this user connected, which sessions would a returning user rejoin).
import type { GroupSession } from './group-session.js';
import type { Leg } from './leg.js';
import type { SessionState } from './domain/index.js';

export class SessionRegistry {
  readonly #sessions = new Map<string, GroupSession>();

  get(groupId: string): GroupSession | undefined {
    return this.#sessions.get(groupId);
  }

  /** The session of `groupId` if it is active. */
  active(groupId: string): GroupSession | undefined {
    const session = this.#sessions.get(groupId);
    return session?.active ? session : undefined;
  }

  state(groupId: string): SessionState {
    return this.active(groupId) ? 'active' : 'inactive';
  }

  /** The leg of `user` in the session of `groupId`, if it has one. */
  leg(groupId: string, user: string): Leg | undefined {
    return this.#sessions.get(groupId)?.leg(user);
  }

  connectedUsers(groupId: string): string[] {
    return this.#sessions.get(groupId)?.connectedUsers() ?? [];
  }

  /** Groups whose session is active now. */
  activeGroupIds(): string[] {
    return [...this.#sessions.values()].filter((s) => s.active).map((s) => s.groupId);
  }

  all(): GroupSession[] {
    return [...this.#sessions.values()];
  }

  set(session: GroupSession): void {
    this.#sessions.set(session.groupId, session);
  }

  /** Forget `session` if it is still the one registered for its group. */
  remove(session: GroupSession): void {
    if (this.#sessions.get(session.groupId) === session) this.#sessions.delete(session.groupId);
  }
}
