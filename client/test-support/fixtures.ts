// Test fixtures for client/: PF invitations as protocol-notes §4 writes them, and group records.
import { buildMsrpSdp, type Direction, type SetupRole } from '../../protocol/sdp/index.js';
import { parseMessage, type SipRequest } from '../../protocol/sip/index.js';
import type { GroupRecord } from '../domain/index.js';

export const CONV_ID = '5f0c3a2e-8b1d-4c6f-9e7a-1b2c3d4e5f60';
export const CONTRIB_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
export const CONFERENCE_URI = 'sip:group-7@ims.lab';

export const ENCODED_DEFERRED = 'urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred';
export const ENCODED_SESSION = 'urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session';

export function knownGroup(overrides: Partial<GroupRecord> = {}): GroupRecord {
  return {
    key: CONV_ID,
    conversationId: CONV_ID,
    contributionId: CONTRIB_ID,
    conferenceUri: CONFERENCE_URI,
    subject: 'Team',
    participants: [{ uri: 'sip:alice@ims.lab' }, { uri: 'sip:bob@ims.lab' }, { uri: 'sip:carol@ims.lab' }],
    sessionState: 'inactive',
    left: false,
    ...overrides,
  };
}

/** `setup: null` leaves a=setup out (RFC 4145 default: active). */
export function offerSdp(direction: Direction, setup: SetupRole | null = 'actpass'): string {
  return buildMsrpSdp(
    {
      address: '127.0.0.1',
      port: 7001,
      transport: 'TCP/MSRP',
      path: ['msrp://127.0.0.1:7001/pf8s7d6f;tcp'],
      acceptTypes: ['message/cpim', 'application/group-state-object+xml'],
      acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
      direction,
      ...(setup !== null ? { setup } : {}),
    },
    { sessionId: '123', username: 'pf' },
  );
}

export interface InviteOptions {
  /** Accept-Contact values (whole header values); default: the encoded deferred tag. */
  acceptContact?: string[];
  direction?: Direction;
  /** null: no a=setup line. */
  setup?: SetupRole | null;
  conversationId?: string | null;
  contributionId?: string | null;
  conferenceUri?: string;
  extraHeaders?: string[];
  /** Body and Content-Type override; `null` for no body. */
  body?: { contentType: string; text: string } | null;
  method?: string;
}

export function deferredTag(value = ENCODED_DEFERRED): string {
  return `*;+g.3gpp.icsi-ref="${value}";require;explicit`;
}

export function sessionTag(value = ENCODED_SESSION): string {
  return `*;+g.3gpp.icsi-ref="${value}";require;explicit`;
}

/** An INVITE from the PF (protocol-notes §4), parsed by the project's SIP parser. */
export function pfInvite(opts: InviteOptions = {}): SipRequest {
  const conf = opts.conferenceUri ?? CONFERENCE_URI;
  const body =
    opts.body === null
      ? undefined
      : (opts.body ?? {
          contentType: 'application/sdp',
          text: offerSdp(opts.direction ?? 'sendonly', opts.setup),
        });
  const method = opts.method ?? 'INVITE';
  const lines = [
    `${method} sip:alice@ims.lab SIP/2.0`,
    'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-pf-1',
    'Max-Forwards: 70',
    `From: <${conf}>;tag=pf-1`,
    'To: <sip:alice@ims.lab>',
    'Call-ID: pf-call-1@127.0.0.1',
    `CSeq: 1 ${method}`,
    `Contact: <${conf}>;isfocus`,
    ...(opts.acceptContact ?? [deferredTag()]).map((v) => `Accept-Contact: ${v}`),
  ];
  if (opts.conversationId !== null) lines.push(`Conversation-ID: ${opts.conversationId ?? CONV_ID}`);
  if (opts.contributionId !== null) lines.push(`Contribution-ID: ${opts.contributionId ?? CONTRIB_ID}`);
  lines.push('Subject: Team', ...(opts.extraHeaders ?? []));
  if (body) lines.push(`Content-Type: ${body.contentType}`);
  const bodyBuf = Buffer.from(body?.text ?? '', 'utf8');
  lines.push(`Content-Length: ${bodyBuf.length}`);
  const raw = Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), bodyBuf]);
  return parseMessage(raw) as SipRequest;
}
