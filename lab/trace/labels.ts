// Short labels for ladder arrows: `INVITE`, `200 OK (INVITE)`, `MSRP SEND`, `MSRP 200`, and details
// (`cpm.deferred`, `sendonly`, `cpim:text/plain`) read from headers and SDP.

import { percentDecode } from '../../protocol/cpm/index.js';
import type { WireProtocol } from '../../protocol/trace/index.js';
import {
  cpimInnerType,
  header,
  headerValues,
  mediaType,
  type MessageView,
  sdpFacts,
  viewMessage,
} from './message.js';

/** What labelling needs of a message (a Hop or a TraceRecord). */
export interface LabelSource {
  protocol: WireProtocol;
  startLine: string;
  raw: Buffer;
}

// RFC 3261 §7.1 Request-Line, §7.2 Status-Line.
const SIP_REQUEST = /^([A-Za-z0-9.!%*_+`'~-]+) \S+ SIP\/2\.0$/;
const SIP_STATUS = /^SIP\/2\.0 (\d{3})(?: (.*))?$/;
// RFC 4975 §9: req-start / resp-line.
const MSRP_LINE = /^MSRP \S+ (?:(\d{3})(?: .*)?|([A-Za-z]+))$/;

/** The arrow label of one message. */
export function messageLabel(source: LabelSource): string {
  const line = source.startLine;
  if (source.protocol === 'msrp') {
    const m = MSRP_LINE.exec(line);
    if (!m) return clip(line === '' ? 'MSRP ?' : line);
    return `MSRP ${m[1] ?? m[2]!.toUpperCase()}`;
  }
  if (line === '') {
    // RFC 5626 §3.5.1: CRLFCRLF ping, CRLF pong.
    return source.raw.length >= 4 ? 'CRLF ping' : 'CRLF pong';
  }
  const req = SIP_REQUEST.exec(line);
  if (req) return req[1]!.toUpperCase();
  const res = SIP_STATUS.exec(line);
  if (res) {
    const status = res[2] ? `${res[1]} ${res[2].trim()}` : res[1]!;
    const method = cseqMethod(viewMessage('sip', source.raw));
    return method ? `${status} (${method})` : status;
  }
  return clip(line);
}

/** Short facts worth showing next to the label, in a stable order. */
export function messageDetails(source: LabelSource): string[] {
  const view = viewMessage(source.protocol, source.raw);
  return source.protocol === 'msrp' ? msrpDetails(view) : sipDetails(view);
}

/** Label and details: `INVITE (cpm.deferred, sendonly)`, `200 OK (INVITE, recvonly)`. */
export function describeMessage(source: LabelSource): string {
  const label = messageLabel(source);
  const details = messageDetails(source);
  if (details.length === 0) return label;
  if (label.endsWith(')')) return `${label.slice(0, -1)}, ${details.join(', ')})`;
  return `${label} (${details.join(', ')})`;
}

function cseqMethod(view: MessageView): string | undefined {
  // RFC 3261 §20.16: CSeq = 1*DIGIT LWS Method.
  return /^\d+\s+(\S+)/.exec(header(view, 'cseq') ?? '')?.[1]?.toUpperCase();
}

function sipDetails(view: MessageView): string[] {
  const details: string[] = [];
  const isRequest = SIP_REQUEST.test(view.startLine);
  if (isRequest) details.push(...icsiShortNames(view));
  const sdp = sdpFacts(view.body);
  if (sdp?.direction) details.push(sdp.direction);
  const type = mediaType(header(view, 'content-type'));
  if (!sdp && type !== undefined && !type.startsWith('multipart/') && view.body.length > 0) {
    details.push(contentSummary(type, view.body));
  }
  const expires = header(view, 'expires');
  if (isRequest && /^REGISTER /i.test(view.startLine) && expires !== undefined) {
    details.push(`expires=${expires}`);
  }
  // RFC 3326 §2: Reason: SIP ;cause=410 ;text="Gone".
  const cause = /cause\s*=\s*(\d+)/i.exec(header(view, 'reason') ?? '')?.[1];
  if (cause) details.push(`cause=${cause}`);
  return details;
}

/** ICSIs asked for (P-Asserted/P-Preferred-Service, RFC 6050; else Accept-Contact icsi-ref, RFC 3841). */
function icsiShortNames(view: MessageView): string[] {
  const literal = [...headerValues(view, 'p-asserted-service'), ...headerValues(view, 'p-preferred-service')];
  let urns = literal.flatMap((v) => v.split(','));
  if (urns.length === 0) {
    urns = headerValues(view, 'accept-contact').flatMap((v) => {
      const ref = /\+g\.3gpp\.icsi-ref\s*=\s*"([^"]*)"/i.exec(v)?.[1];
      return ref === undefined ? [] : percentDecode(ref).split(',');
    });
  }
  const names = urns.map((u) => shortIcsi(u.trim())).filter((u) => u !== '');
  return [...new Set(names)];
}

/** `urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred` → `cpm.deferred` (protocol-notes §2). */
function shortIcsi(urn: string): string {
  const m = /icsi\.(?:oma\.)?(.+)$/i.exec(urn);
  return (m ? m[1]! : urn).toLowerCase();
}

function msrpDetails(view: MessageView): string[] {
  const details: string[] = [];
  const method = /^MSRP \S+ ([A-Za-z]+)$/.exec(view.startLine)?.[1]?.toUpperCase();
  if (method === 'SEND') {
    const type = mediaType(header(view, 'content-type'));
    // RFC 4975 §7.1.1: a SEND without body (used to bind a connection, RFC 4975 §5.4).
    if (type === undefined || view.body.length === 0) details.push('empty');
    else details.push(contentSummary(type, view.body));
    // RFC 4975 §9: Byte-Range = start "-" end "/" total; shown only for a chunk of a larger message.
    const range = /^(\d+)-(\d+|\*)\/(\d+|\*)$/.exec(header(view, 'byte-range') ?? '');
    if (range && view.msrpFlag !== undefined && (view.msrpFlag !== '$' || range[1] !== '1')) {
      details.push(`bytes ${range[1]}-${range[2]}/${range[3]}`);
    }
    if (view.msrpFlag === '#') details.push('aborted');
  } else if (method === 'REPORT') {
    // RFC 4975 §9: Status = namespace SP status-code [SP text].
    const status = /^\d{3} (\d{3})/.exec(header(view, 'status') ?? '')?.[1];
    if (status) details.push(`status ${status}`);
  }
  return details;
}

/** `message/cpim` with its wrapped type (`cpim:text/plain`), else the media type itself. */
function contentSummary(type: string, body: Buffer): string {
  if (type === 'message/cpim') {
    const inner = cpimInnerType(body);
    return inner ? `cpim:${inner}` : 'cpim';
  }
  return type;
}

function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
