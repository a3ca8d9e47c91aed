// Conference state subscription (RFC 4575) of an ACTIVE group session only (protocol-notes §7; D1.vi: never
// in the deferred case). NOTIFY bodies are applied as full/partial state; the users become the participants.
import {
  applyConferenceInfo,
  CONFERENCE_INFO_CONTENT_TYPE,
  type ConferenceInfo,
  parseConferenceInfo,
} from '../../protocol/bodies/index.js';
import type { SipRequest, Subscription, UserAgent } from '../../protocol/sip/index.js';
import type { Participant } from '../domain/index.js';
import type { GroupSessionKind } from './group-session.js';

/** D1.vi / A2.i: whether a session of this kind may subscribe to the conference event package. */
export function maySubscribeConference(kind: GroupSessionKind): boolean {
  return kind === 'active';
}

/** The participants a conference-info document names (users not marked deleted / disconnected). */
export function participantsOf(info: ConferenceInfo): Participant[] | undefined {
  if (!info.users) return undefined;
  return info.users
    .filter((u) => u.endpoints.every((e) => e.status !== 'disconnected') || u.endpoints.length === 0)
    .map((u) => (u.displayText !== undefined ? { uri: u.entity, name: u.displayText } : { uri: u.entity }));
}

/**
 * SUBSCRIBE (Event: conference) to the conference URI; `onParticipants` gets the participant list after every
 * NOTIFY that could be applied. Rejects with SipRequestError when the focus refuses.
 */
export async function subscribeConference(
  ua: UserAgent,
  conferenceUri: string,
  onParticipants: (participants: Participant[]) => void,
  onError: (err: unknown) => void,
): Promise<Subscription> {
  let state: ConferenceInfo | undefined;
  return ua.subscribe(conferenceUri, {
    event: 'conference',
    accept: CONFERENCE_INFO_CONTENT_TYPE,
    expires: 600,
    onNotify: (notify: SipRequest) => {
      if (notify.body.length === 0) return;
      try {
        const next = applyConferenceInfo(state, parseConferenceInfo(notify.body));
        if (!next) return; // RFC 4575 §4.6: version gap; the next full NOTIFY repairs it
        state = next;
        const participants = participantsOf(next);
        if (participants) onParticipants(participants);
      } catch (err) {
        onError(err);
      }
    },
  });
}
