// The PF's view of who is online (protocol profile §3): the CSCF's third-party REGISTER says, per user, for how
// long the registration lasts (Expires > 0: online) or that it ended (Expires: 0: offline). Lapsed entries
// count as offline even if the CSCF's de-registration notice got lost. With a store, the view survives a
// restart: a restarted PF knows at once who is online and delivers without waiting for REGISTER refreshes.
import { aorKey, type RegistrationChange } from './domain/index.js';
import type { PfDatabase } from './store/index.js';

export interface RegistrationEntry {
  user: string;
  expiresAt: number;
}

export class RegistrationWatch {
  readonly #online = new Map<string, number>();
  readonly #now: () => number;
  readonly #db: PfDatabase | undefined;
  readonly #persist: (write: () => void) => void;

  /**
   * With `db`, entries are kept in its `registrations` table and the live ones loaded now. `persist` runs each
   * table write (default: at once, its own commit); the PF hands them to its write batcher, so a burst of
   * REGISTERs is one commit instead of a synchronous commit each. The view in memory is what answers; the
   * table is for a restart.
   */
  constructor(
    now: () => number = Date.now,
    db?: PfDatabase,
    persist: (write: () => void) => void = (write) => write(),
  ) {
    this.#now = now;
    this.#db = db;
    this.#persist = persist;
    if (db) {
      const rows = db
        .prepare('SELECT user, expires_at FROM registrations WHERE expires_at > :now')
        .all({ now: now() }) as Array<{ user: string; expires_at: number }>;
      for (const r of rows) this.#online.set(r.user, r.expires_at);
      db.prepare('DELETE FROM registrations WHERE expires_at <= :now').run({ now: now() });
    }
  }

  /**
   * A third-party REGISTER for `user` with `expires` seconds (protocol-notes §3). Returns the change to plan
   * deliveries for: every registration with Expires > 0 (initial or refresh) is `online`, Expires 0 `offline`.
   */
  update(user: string, expires: number): RegistrationChange {
    const key = aorKey(user);
    if (expires > 0) {
      const returning = !this.isRegistered(key);
      const until = this.#now() + expires * 1000;
      this.#online.set(key, until);
      const db = this.#db;
      if (db) {
        this.#persist(() => {
          db.prepare(
            'INSERT INTO registrations (user, expires_at) VALUES (:user, :until) ON CONFLICT (user) DO UPDATE SET expires_at = :until',
          ).run({ user: key, until });
        });
      }
      return { user: key, state: 'online', returning };
    }
    this.#online.delete(key);
    const db = this.#db;
    if (db)
      this.#persist(() => db.prepare('DELETE FROM registrations WHERE user = :user').run({ user: key }));
    return { user: key, state: 'offline' };
  }

  isRegistered(user: string): boolean {
    const key = aorKey(user);
    const until = this.#online.get(key);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#online.delete(key);
    return false;
  }

  /** Users registered now, sorted. */
  online(): RegistrationEntry[] {
    return [...this.#online.keys()]
      .filter((u) => this.isRegistered(u))
      .sort()
      .map((user) => ({ user, expiresAt: this.#online.get(user)! }));
  }
}

/** RFC 3261 §10.3 step 7: the registrar's own default when a REGISTER names no expiration. */
export const DEFAULT_REGISTER_EXPIRES = 3600;

/**
 * The Expires of a third-party REGISTER (RFC 3261 §10.2.1.1): the Expires header, else the Contact's `expires`
 * parameter, else the default; undefined when the value present is not a delta-seconds (a bad request: never
 * read as 0, which would de-register the user).
 */
export function registerExpires(
  expiresHeader: string | undefined,
  contactExpires: string | undefined,
): number | undefined {
  const value = expiresHeader ?? contactExpires;
  if (value === undefined) return DEFAULT_REGISTER_EXPIRES;
  if (!/^\s*\d{1,10}\s*$/.test(value)) return undefined;
  return Number(value);
}
