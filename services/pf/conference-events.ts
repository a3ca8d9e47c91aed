// The conference event package (RFC 4575) for participants of an active group session (protocol-notes §7;
// never in the deferred case, D1.vi): a full document on subscription, then partial notifications (§4.6) when a
// participant joins, leaves or is removed. Each subscription counts its own versions (§5.1).
import {
  buildConferenceInfo,
  CONFERENCE_INFO_CONTENT_TYPE,
  type ConferenceInfo,
  type ConferenceUser,
} from '../../protocol/bodies/index.js';
import type { PfNotifier } from './signalling.js';
import { type Group, members } from './domain/index.js';
import { focusContact } from './invitations.js';

interface Subscriber {
  user: string;
  sub: PfNotifier;
  /** The version of the last document sent (RFC 4575 §5.1: starts at 1, +1 per notification). */
  version: number;
}

/** One user entry of the conference document: connected when the user has a leg in the session. */
export function conferenceUser(group: Group, uri: string, connected: boolean): ConferenceUser {
  const participant = group.participants.find((p) => p.uri === uri);
  const user: ConferenceUser = {
    entity: uri,
    state: 'full',
    endpoints: [
      {
        entity: uri,
        status: connected ? 'connected' : 'disconnected',
        media: [{ id: '1', type: 'message', status: connected ? 'sendrecv' : 'inactive' }],
      },
    ],
  };
  if (participant?.displayName !== undefined) user.displayText = participant.displayName;
  return user;
}

/** RFC 4575 §5: the full state: every member, with its connection status. */
export function fullConferenceInfo(
  group: Group,
  connected: ReadonlySet<string>,
  version: number,
): ConferenceInfo {
  const info: ConferenceInfo = {
    entity: group.conferenceUri,
    state: 'full',
    version,
    userCount: members(group).length,
    users: members(group).map((p) => conferenceUser(group, p.uri, connected.has(p.uri))),
  };
  if (group.subject !== '') info.subject = group.subject;
  return info;
}

export class ConferenceEvents {
  readonly #byGroup = new Map<string, Set<Subscriber>>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** A new subscription: send the full state at once (RFC 6665 §4.2.1: NOTIFY right after the 2xx). */
  add(group: Group, user: string, sub: PfNotifier, connected: ReadonlySet<string>): void {
    const subscriber: Subscriber = { user, sub, version: 0 };
    const set = this.#byGroup.get(group.id) ?? new Set<Subscriber>();
    this.#byGroup.set(group.id, set);
    set.add(subscriber);
    sub.once('terminated', () => set.delete(subscriber));
    this.#send(group, subscriber, (v) => fullConferenceInfo(group, connected, v));
  }

  /** RFC 4575 §4.6: a partial notification with the changed users to every subscriber of the group. */
  changed(group: Group, users: ConferenceUser[]): void {
    for (const subscriber of this.#byGroup.get(group.id) ?? []) {
      this.#send(group, subscriber, (version) => ({
        entity: group.conferenceUri,
        state: 'partial',
        version,
        userCount: members(group).length,
        users,
      }));
    }
  }

  /** A partial notification built by the caller per version (participantRemovedNotice). */
  notifyEach(group: Group, build: (version: number) => ConferenceInfo): void {
    for (const subscriber of this.#byGroup.get(group.id) ?? []) this.#send(group, subscriber, build);
  }

  /** End every subscription of the group (session over or group deleted; RFC 6665 §4.2.2 reason). */
  terminateAll(groupId: string, reason: 'noresource' | 'deactivated'): void {
    const set = this.#byGroup.get(groupId);
    if (!set) return;
    this.#byGroup.delete(groupId);
    for (const { sub } of set) {
      if (sub.terminated) continue;
      // A subscriber that is gone already: nothing to undo, but it is logged like any NOTIFY failure.
      sub.terminate(reason).catch((err: unknown) => this.#onError(err));
    }
  }

  count(groupId: string): number {
    return this.#byGroup.get(groupId)?.size ?? 0;
  }

  subscribers(groupId: string): string[] {
    return [...(this.#byGroup.get(groupId) ?? [])].map((s) => s.user);
  }

  #send(group: Group, subscriber: Subscriber, build: (version: number) => ConferenceInfo): void {
    if (subscriber.sub.terminated) return;
    subscriber.version += 1;
    let body: Buffer;
    try {
      body = buildConferenceInfo(build(subscriber.version));
    } catch (err) {
      this.#onError(err);
      return;
    }
    subscriber.sub
      .notify({
        body,
        contentType: CONFERENCE_INFO_CONTENT_TYPE,
        headers: [['Contact', focusContact(group.conferenceUri)]],
      })
      .catch((err: unknown) => this.#onError(err));
  }
}
