// The MSRP conference of one group while its session is active (protocol-notes §7): the connected participants'
// legs, relaying of each chat message to every other member (CPIM From kept), notifications to the original
// sender, the idle timeout, and the end of the session (BYE without Reason; with Reason 410 when the group is
// deleted). Members not connected get the message stored (protocol-notes §4: deferred store).
import type { MsrpMessage } from '../../protocol/msrp/index.js';
import { type CpimPayloadInfo, describeCpimPayload, type Group, members } from './domain/index.js';
import type { Leg } from './leg.js';

/** Session state machine: `active` until the idle timeout, the last participant leaving, or an operator end. */
export type GroupSessionState = 'active' | 'ended';

export type SessionEndReason =
  /** protocol-notes §7: no traffic for the idle timeout. */
  | 'idle'
  /** protocol-notes §7: the last participant left. */
  | 'empty'
  /** Control API: POST /groups/:id/end. */
  | 'operator'
  /** The group was deleted: BYE with Reason 410 Gone. */
  | 'deleted'
  /** The PF is shutting down. */
  | 'shutdown';

export type SessionEvent = { kind: 'end'; reason: SessionEndReason };

/** The one transition function: an ended session stays ended. */
export function sessionTransition(state: GroupSessionState, event: SessionEvent): GroupSessionState {
  switch (event.kind) {
    case 'end':
      return 'ended';
  }
  return state;
}

/** RFC 3326 Reason for a deleted group (protocol-notes §7). */
export const GONE_REASON = 'SIP;cause=410;text="Gone"';

/** The Reason header (RFC 3326) of the BYEs that end a session: 410 Gone when the group was deleted. */
function byeReason(reason: SessionEndReason | undefined): string | undefined {
  return reason === 'deleted' ? GONE_REASON : undefined;
}

export interface GroupSessionHost {
  /** The group as stored now. */
  group(groupId: string): Group | undefined;
  /** Store a chat message or notification for members not connected (resolves once committed). */
  store(
    groupId: string,
    recipients: string[],
    body: Buffer,
    contentType: string,
    info: CpimPayloadInfo,
  ): Promise<void>;
  /** A notification (IMDN) sent by `leg`: route it to the original sender (protocol-notes §6); resolves once it is relayed or stored. */
  routeNotification(groupId: string, body: Buffer, contentType: string, info: CpimPayloadInfo): Promise<void>;
  /** A leg joined or left (conference event package, RFC 4575). */
  rosterChanged(groupId: string, user: string, connected: boolean): void;
  ended(session: GroupSession, reason: SessionEndReason): void;
  log(type: string, data: Record<string, unknown>): void;
}

export class GroupSession {
  readonly groupId: string;
  readonly startedAt: number;
  readonly #legs = new Map<string, Leg>();
  readonly #host: GroupSessionHost;
  readonly #idleTimeoutMs: number;
  #state: GroupSessionState = 'active';
  /** Why the session ended (once it has): a leg that joins late gets the same BYE as the others. */
  #endReason: SessionEndReason | undefined;
  #idle: NodeJS.Timeout | undefined;
  #relayed = 0;

  constructor(groupId: string, host: GroupSessionHost, idleTimeoutMs: number, now: number) {
    this.groupId = groupId;
    this.#host = host;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.startedAt = now;
    this.#touch();
  }

  get state(): GroupSessionState {
    return this.#state;
  }

  get active(): boolean {
    return this.#state === 'active';
  }

  get relayed(): number {
    return this.#relayed;
  }

  /** Users with a leg in the session (connected over MSRP or binding). */
  connectedUsers(): string[] {
    return [...this.#legs.keys()].sort();
  }

  leg(user: string): Leg | undefined {
    return this.#legs.get(user);
  }

  /** A participant joined (answered our INVITE, or its INVITE was accepted). A previous leg of the user ends. */
  addLeg(leg: Leg): void {
    if (!this.active) {
      // It was accepted while the session ended (a SIP engine may confirm our 2xx late): the same BYE as the others.
      void leg.end(byeReason(this.#endReason));
      return;
    }
    const previous = this.#legs.get(leg.user);
    this.#legs.set(leg.user, leg);
    if (previous && previous !== leg) void previous.end();
    // The sender's final 200 waits until the message is relayed or committed to the store (no loss).
    leg.msrp.acceptor = (m) => this.#onMessage(leg, m);
    leg.once('ended', (reason) => {
      if (this.#legs.get(leg.user) !== leg) return;
      this.#legs.delete(leg.user);
      this.#host.log('participant-left', { groupId: this.groupId, user: leg.user, reason });
      this.#host.rosterChanged(this.groupId, leg.user, false);
      // protocol-notes §7: when the last participant leaves, the session goes inactive.
      if (this.#legs.size === 0) this.end('empty');
    });
    this.#touch();
    this.#host.log('participant-joined', { groupId: this.groupId, user: leg.user });
    this.#host.rosterChanged(this.groupId, leg.user, true);
  }

  /** End the session: BYE every leg (with Reason 410 when the group was deleted), session inactive. */
  end(reason: SessionEndReason): void {
    const next = sessionTransition(this.#state, { kind: 'end', reason });
    if (next === this.#state) return;
    this.#state = next;
    this.#endReason = reason;
    clearTimeout(this.#idle);
    const legs = [...this.#legs.values()];
    this.#legs.clear();
    // The host ends the conference subscriptions first (final NOTIFY, RFC 6665 §4.2.2), so that each
    // subscriber still knows its subscription when that NOTIFY arrives; then the legs get their BYE.
    this.#host.ended(this, reason);
    for (const leg of legs) void leg.end(byeReason(reason));
  }

  /**
   * Send a payload to one connected leg that takes live traffic; when that fails (connection lost, error
   * response, timeout) the payload is stored for the user, so nothing is lost.
   */
  deliverLive(leg: Leg, body: Buffer, contentType: string, info: CpimPayloadInfo): void {
    leg.msrp.send(body, { contentType }).catch((err: unknown) => {
      this.#host.log('live-send-failed', { groupId: this.groupId, user: leg.user, error: String(err) });
      this.#host.store(this.groupId, [leg.user], body, contentType, info).catch((error: unknown) =>
        this.#host.log('store-after-live-send-failed', {
          groupId: this.groupId,
          user: leg.user,
          error: String(error),
        }),
      );
      // A session whose SEND failed is not trusted with later traffic (it would overtake the stored item).
      void leg.end();
    });
  }

  // RFC 4975 §7.3: a complete message from a participant; resolves when it is safe (relayed or stored).
  async #onMessage(leg: Leg, message: MsrpMessage): Promise<undefined> {
    if (!this.active || this.#legs.get(leg.user) !== leg) return;
    const contentType = message.contentType ?? '';
    if (!/^message\/cpim\b/i.test(contentType)) {
      this.#host.log('message-ignored', { groupId: this.groupId, user: leg.user, contentType });
      return;
    }
    const info = describeCpimPayload(message.body);
    if (!info) {
      // An unreadable CPIM payload cannot be relayed (the sender still gets its 200: the PF took it).
      this.#host.log('bad-cpim', { groupId: this.groupId, user: leg.user, bytes: message.body.length });
      return;
    }
    this.#touch();
    if (info.kind === 'imdn') {
      await this.#host.routeNotification(this.groupId, message.body, contentType, info);
      return;
    }
    const group = this.#host.group(this.groupId);
    if (!group) return;
    this.#relayed += 1;
    const offline: string[] = [];
    for (const member of members(group)) {
      if (member.uri === leg.user) continue;
      const target = this.#legs.get(member.uri);
      if (target?.live) this.deliverLive(target, message.body, contentType, info);
      else offline.push(member.uri);
    }
    this.#host.log('message-relayed', {
      groupId: this.groupId,
      from: info.sender,
      messageId: info.messageId,
      live: members(group).length - 1 - offline.length,
      stored: offline.length,
    });
    if (offline.length > 0) await this.#host.store(this.groupId, offline, message.body, contentType, info);
  }

  #touch(): void {
    if (!this.active) return;
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.end('idle'), this.#idleTimeoutMs);
    this.#idle.unref();
  }
}
