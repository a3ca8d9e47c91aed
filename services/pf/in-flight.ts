// What the PF is doing with each (user, group) right now: a deferred delivery, a reconnection, an invitation
// into a session, or the user's own re-join being answered. Never two at once for the same pair; the
// participating role starts deliveries, the controlling role marks joins (D1.viii: a re-join crossing a
// deferred INVITE gets 486).

export interface InFlightDelivery {
  user: string;
  groupId: string;
  /**
   * `deferred` (cpm.deferred, sendonly), `reconnect` (cpm.session into the live session), `session-invite`,
   * `joining` (the user's own re-join INVITE is being answered).
   */
  kind: 'deferred' | 'reconnect' | 'session-invite' | 'joining';
  since: number;
}

/** The key of a (user, group) pair in the PF's maps. */
export function pairKey(user: string, groupId: string): string {
  return `${user}\u0000${groupId}`;
}

export class InFlight {
  readonly #entries = new Map<string, InFlightDelivery>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  get(user: string, groupId: string): InFlightDelivery | undefined {
    return this.#entries.get(pairKey(user, groupId));
  }

  has(user: string, groupId: string): boolean {
    return this.#entries.has(pairKey(user, groupId));
  }

  /** Mark (user, group) busy; false (nothing changed) when it already is. */
  begin(user: string, groupId: string, kind: InFlightDelivery['kind']): boolean {
    const k = pairKey(user, groupId);
    if (this.#entries.has(k)) return false;
    this.#entries.set(k, { user, groupId, kind, since: this.#now() });
    return true;
  }

  /** Set (replace) the entry of (user, group). */
  set(user: string, groupId: string, kind: InFlightDelivery['kind']): void {
    this.#entries.set(pairKey(user, groupId), { user, groupId, kind, since: this.#now() });
  }

  end(user: string, groupId: string): void {
    this.#entries.delete(pairKey(user, groupId));
  }

  list(): InFlightDelivery[] {
    return [...this.#entries.values()];
  }
}
