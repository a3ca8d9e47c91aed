// The Participating Function of OMA CPM 7.3.11 (clause PF; protocol profile §3, §4): it learns who is online
// from the CSCF's third-party REGISTERs, plans deliveries for a user who comes online (deferred delivery into
// an inactive session: cpm.deferred, sendonly; reconnection into an active one: cpm.session, sendrecv),
// runs them (INVITE, MSRP, group state object, backlog, BYE), applies the outcome of each invitation
// (200 / 603 / 480 / 481 / 408 / failure) and retries a failed delivery on its own.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatUri, type SendTarget } from '../../protocol/sip/index.js';
import type { ControllingFunction } from './controlling.js';
import { flushBacklog } from './deferred-delivery.js';
import {
  aorKey,
  decideInvitationOutcome,
  type DeliveryInvitation,
  type InvitationResult,
  outcomeLabel,
  planDeliveries,
} from './domain/index.js';
import type { RoleDeps } from './role-deps.js';
import { pairKey } from './in-flight.js';
import type { Leg } from './leg.js';
import { inviteUser } from './outgoing-invite.js';
import { registerExpires } from './registration-watch.js';
import type { PfResponse, SipRequest } from './signalling.js';
import { applyStoreEffects, backlogGroupsFor } from './store/index.js';

export interface ParticipatingDeps extends RoleDeps {
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  msrpTimeoutMs: number;
  /** The CSCF, the only sender of third-party REGISTERs (read for each REGISTER: it can be re-pointed). */
  cscf: SendTarget;
  controlling: ControllingFunction;
}

/** A delivery the PF tries again on its own, with the time of the next attempt (GET /state `retries`). */
interface Retry {
  user: string;
  groupId: string;
  attempt: number;
  at: number;
  reason: string;
  timer: NodeJS.Timeout | undefined;
}

export class ParticipatingFunction {
  readonly #deps: ParticipatingDeps;
  readonly #retries = new Map<string, Retry>();
  /** The CSCF host's addresses when it is a name (see #fromCscf). */
  #cscfResolved: { at: number; addresses: Set<string> } | undefined;
  #closed = false;

  constructor(deps: ParticipatingDeps) {
    this.#deps = deps;
    // Protocol profile §4: an item stored for a member who is registered but not connected goes out now.
    deps.backlog.on('stored', (recipient, groupId) => this.#deliverNow(recipient, groupId));
  }

  /** A restarted PF delivers to the users it knows to be online without waiting for their next REGISTER. */
  resumeRecovered(): void {
    const recovered = this.#deps.registrations.online();
    if (recovered.length > 0)
      this.#deps.logger.info('registrations recovered from the store', { users: recovered.length });
    for (const { user } of recovered) this.#planDeliveries(user);
  }

  /** The CSCF moved: a host name is resolved again at the next REGISTER. */
  cscfChanged(): void {
    this.#cscfResolved = undefined;
  }

  retries(): Array<{ user: string; groupId: string; attempt: number; reason: string; at?: string }> {
    return [...this.#retries.values()].map(({ user, groupId, attempt, at, reason, timer }) => ({
      user,
      groupId,
      attempt,
      reason,
      ...(timer === undefined ? {} : { at: new Date(at).toISOString() }),
    }));
  }

  // ---- third-party registration (protocol profile §3; clause PF) ----

  onRegister(req: SipRequest, res: PfResponse): void {
    // Only the CSCF tells the PF who is online (as an S-CSCF does for its application servers). An address is
    // checked at once, so registrations are taken in the order they arrive; a host name may need a lookup.
    const source = res.source.remote.address.replace(/^::ffff:/, '');
    const refuse = () => {
      void res.send(403, { reason: 'Third-party REGISTER only from the CSCF' });
      this.#deps.events.emit('registration-refused', { source, reason: 'not the CSCF' });
    };
    const host = this.#deps.cscf.address;
    if (isIP(host)) {
      if (host === source) this.#takeRegister(req, res);
      else refuse();
      return;
    }
    void this.#fromCscf(source).then((ok) => (ok ? this.#takeRegister(req, res) : refuse()));
  }

  /**
   * Whether a request came from the CSCF's address (its host resolved; a host name is looked up again at most
   * every 5 s, so a CSCF container that came up later, or with a new address, is recognised).
   */
  async #fromCscf(address: string): Promise<boolean> {
    const host = this.#deps.cscf.address;
    const now = this.#deps.now();
    if (
      this.#cscfResolved === undefined ||
      (!this.#cscfResolved.addresses.has(address) && now - this.#cscfResolved.at > 5000)
    ) {
      try {
        const found = await lookup(host, { all: true });
        this.#cscfResolved = { at: now, addresses: new Set(found.map((a) => a.address)) };
      } catch {
        this.#cscfResolved = { at: now, addresses: new Set() };
      }
    }
    return this.#cscfResolved.addresses.has(address);
  }

  /** A third-party REGISTER from the CSCF (protocol profile §3): the user's registration state changes. */
  #takeRegister(req: SipRequest, res: PfResponse): void {
    let user: string;
    let contactExpires: string | undefined;
    try {
      user = aorKey(formatUri(req.to.uri));
      const param = req.contacts[0]?.params.get('expires');
      contactExpires = typeof param === 'string' ? param : undefined;
    } catch {
      void res.send(400, { reason: 'Bad To or Contact' });
      return;
    }
    const expires = registerExpires(req.get('expires'), contactExpires);
    if (expires === undefined) {
      void res.send(400, { reason: 'Bad Expires' });
      return;
    }
    const change = this.#deps.registrations.update(user, expires);
    void res.send(200, { headers: [['Expires', expires]] });
    this.#deps.events.emit('registration', { user, state: change.state, expires });
    if (change.state === 'online') this.#planDeliveries(user, { returning: change.returning === true });
  }

  // ---- planning and running deliveries (clause PF; protocol profile §4) ----

  /**
   * Clause PF: a user came online: invite it once per group holding stored items, and (when it returns after
   * being offline) into every active session of its groups even with nothing stored (protocol profile §4).
   * `only` plans one group (a message just stored for a registered member who is not connected).
   */
  #planDeliveries(user: string, options: { returning?: boolean; only?: string } = {}): void {
    const { stores, sessions, inFlight, events } = this.#deps;
    let plan: ReturnType<typeof planDeliveries>;
    try {
      const returning = options.returning === true;
      plan = planDeliveries(
        { user, state: 'online', returning },
        backlogGroupsFor(stores, user, (id) => sessions.state(id), {
          // A returning user is reconnected to the active sessions (only the node knows which are active).
          ...(returning ? { activeGroups: sessions.activeGroupIds() } : {}),
          ...(options.only === undefined ? {} : { only: options.only }),
        }),
      );
    } catch (err) {
      this.#deps.logger.error('delivery planning failed', { user, error: String(err) });
      return;
    }
    for (const skipped of plan.skipped) {
      if (skipped.reason !== 'no-backlog') events.emit('delivery-skipped', { user, ...skipped });
    }
    for (const invitation of plan.invitations) {
      // Never two deliveries to the same user and group at once.
      if (inFlight.has(user, invitation.groupId)) {
        events.emit('delivery-skipped', { user, groupId: invitation.groupId, reason: 'already-delivering' });
        continue;
      }
      if (sessions.leg(invitation.groupId, user)) {
        events.emit('delivery-skipped', { user, groupId: invitation.groupId, reason: 'connected' });
        continue;
      }
      void this.#deliver(invitation);
    }
  }

  /** One delivery run (protocol profile §4): INVITE, outcome, MSRP, group state, backlog, BYE (deferred). */
  async #deliver(invitation: DeliveryInvitation): Promise<void> {
    const { stores, sessions, inFlight, events, backlog, controlling } = this.#deps;
    const { recipient: user, groupId } = invitation;
    const deferred = invitation.direction === 'sendonly';
    inFlight.set(user, groupId, deferred ? 'deferred' : 'reconnect');
    const retry = this.#retries.get(pairKey(user, groupId));
    if (retry) {
      // This delivery supersedes a scheduled retry (its attempt count goes on until one succeeds).
      clearTimeout(retry.timer);
      retry.timer = undefined;
    }
    events.emit('delivery-started', {
      user,
      groupId,
      icsi: invitation.icsi,
      direction: invitation.direction,
      pending: invitation.pending,
    });
    let leg: Leg | undefined;
    try {
      const group = stores.groups.get(groupId);
      if (!group) return;
      const outcome = await inviteUser(this.#deps, group, user, {
        icsi: invitation.icsi,
        direction: invitation.direction,
      });
      if (!outcome.ok) {
        await this.#applyOutcome(invitation, outcome.result);
        return;
      }
      leg = outcome.leg;
      const decision = await this.#applyOutcome(invitation, { kind: 'response', status: 200 });
      if (decision !== 'deliver') {
        await leg.end();
        return;
      }
      const session = sessions.active(groupId);
      if (!deferred && session) {
        // A2.i: the user joins the live session; its backlog first, then live traffic.
        session.addLeg(leg);
        const delivered = await backlog.flushThenLive(leg);
        await this.#applyOutcome(invitation, { kind: 'delivery-complete' });
        events.emit('delivery-finished', { user, groupId, delivered, mode: 'reconnect' });
        return;
      }
      // D1.i: a deferred session (or the live session ended meanwhile): group state object first (D1.vii),
      // the backlog, then BYE. A sendrecv leg whose session ended while it was being set up still takes the
      // user's messages: they are stored for the others, never answered 200 and dropped.
      controlling.trackLegOutsideSession(leg);
      await leg.bound(this.#deps.msrpTimeoutMs);
      const delivered = await flushBacklog(backlog.source(), leg, {
        groupStateFirst: stores.groups.get(groupId) ?? group,
        onDelivered: (item) => events.emit('item-delivered', { user, groupId, messageId: item.messageId }),
      });
      await leg.end();
      await this.#applyOutcome(invitation, { kind: 'delivery-complete' });
      events.emit('delivery-finished', { user, groupId, delivered, mode: 'deferred' });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      if (leg && !leg.ended) await leg.end();
      await this.#applyOutcome(invitation, { kind: 'delivery-interrupted', detail }).catch(
        this.#deps.sink('interrupted delivery not recorded', { user, groupId }),
      );
      events.emit('delivery-interrupted', { user, groupId, detail });
    } finally {
      inFlight.end(user, groupId);
    }
  }

  /** Apply an invitation's result (decideInvitationOutcome) to the store and carry out its node effects. */
  async #applyOutcome(invitation: DeliveryInvitation, result: InvitationResult): Promise<string | undefined> {
    const { stores, events } = this.#deps;
    const group = stores.groups.get(invitation.groupId);
    if (!group) return undefined; // deleted meanwhile
    const now = this.#deps.now();
    const decision = decideInvitationOutcome({ invitation, group, result, now });
    // A series of retries ends with a delivery, a removal (603) or a stop (481).
    if (
      decision.disposition === 'done' ||
      decision.disposition === 'removed' ||
      decision.disposition === 'stopped'
    ) {
      const k = pairKey(invitation.recipient, invitation.groupId);
      clearTimeout(this.#retries.get(k)?.timer);
      this.#retries.delete(k);
    }
    try {
      await this.#deps.batcherRun(() => applyStoreEffects(stores, decision.storeEffects, now));
    } catch (err) {
      this.#deps.logger.warn('invitation outcome not stored', {
        groupId: invitation.groupId,
        error: String(err),
      });
    }
    events.emit('invitation-outcome', {
      user: invitation.recipient,
      groupId: invitation.groupId,
      outcome: outcomeLabel(result),
      disposition: decision.disposition,
    });
    for (const effect of decision.nodeEffects) {
      switch (effect.type) {
        case 'notify-participant-removed':
          this.#deps.controlling.participantRemoved(effect.group, effect.removed);
          break;
        case 'delivery-stopped':
          events.emit('delivery-stopped', {
            user: effect.recipient,
            groupId: effect.groupId,
            reason: effect.reason,
          });
          break;
        case 'retry-at-next-registration':
          events.emit('delivery-deferred', {
            user: effect.recipient,
            groupId: effect.groupId,
            reason: effect.reason,
          });
          // 480 means "not now" from the user: its next registration asks again. Anything else (no answer,
          // 408, 5xx, a lost MSRP connection) is retried by the PF itself, with backoff.
          if (!/^480\b/.test(effect.reason))
            this.#scheduleRetry(effect.recipient, effect.groupId, effect.reason);
          break;
        case 'start-delivery':
          break;
      }
    }
    return decision.disposition;
  }

  /**
   * A failed delivery is tried again by the PF on its own, after 1 s, 2 s, 4 s … up to retryMaxDelayMs, as
   * long as the user is registered and not connected (visible in GET /state as `retries`). A delivery that
   * starts for any other reason (a REGISTER, a new item) supersedes it; a success ends the series.
   */
  #scheduleRetry(user: string, groupId: string, reason: string): void {
    if (this.#closed) return;
    const k = pairKey(user, groupId);
    const previous = this.#retries.get(k);
    clearTimeout(previous?.timer);
    const attempt = (previous?.attempt ?? 0) + 1;
    const delay = Math.min(this.#deps.retryBaseDelayMs * 2 ** (attempt - 1), this.#deps.retryMaxDelayMs);
    const timer = setTimeout(() => {
      const entry = this.#retries.get(k);
      if (entry?.timer !== timer) return;
      entry.timer = undefined;
      if (!this.#deps.registrations.isRegistered(user)) {
        this.#retries.delete(k); // offline: its next registration starts a delivery
        return;
      }
      this.#deps.events.emit('delivery-retry', { user, groupId, attempt });
      this.#planDeliveries(user, { only: groupId });
    }, delay);
    timer.unref();
    this.#retries.set(k, { user, groupId, attempt, at: this.#deps.now() + delay, reason, timer });
  }

  /**
   * Protocol profile §4: something was stored for `user` in `groupId` while it is registered: start a delivery
   * at once instead of waiting for its next REGISTER. Not when a delivery or a leg of the user for the group is
   * running already (it drains the store itself), and not after a 480 (the user said "later": the next
   * registration asks again).
   */
  #deliverNow(user: string, groupId: string): void {
    const { registrations, inFlight, sessions, stores } = this.#deps;
    if (this.#closed || !registrations.isRegistered(user)) return;
    if (inFlight.has(user, groupId) || sessions.leg(groupId, user)) return;
    if (stores.deferred.deliveryRecord(user, groupId)?.lastOutcome === '480') return;
    this.#planDeliveries(user, { only: groupId });
  }

  close(): void {
    this.#closed = true;
    for (const r of this.#retries.values()) clearTimeout(r.timer);
  }
}
