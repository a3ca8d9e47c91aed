// Building requests and responses (RFC 3261 §8.1.1, §8.2.6) and the random identifiers they carry.
import { randomHex } from '../random/index.js';
import { normalizeHeaderName } from './header-names.js';
import { SipRequest, SipResponse } from './message.js';
import { BRANCH_MAGIC_COOKIE } from './via.js';

const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/** The RFC 3261 §21 reason phrase for a status code (a class default for unlisted codes). */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? REASONS[Math.floor(status / 100) * 100] ?? 'Unknown';
}

/** A new RFC 3261 branch: the magic cookie and at least 64 random bits (§8.1.1.7). */
export function newBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomHex(10);
}

/** A From/To tag with 32 random bits at least (§19.3). */
export function newTag(): string {
  return randomHex(6);
}

export function newCallId(host?: string): string {
  const id = randomHex(12);
  return host ? `${id}@${host}` : id;
}

const COPIED_TO_RESPONSE = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'record-route']);

/**
 * A response to `request` (RFC 3261 §8.2.6.2): Via, From, To, Call-ID and CSeq copied in order; a To tag
 * added when given and the request had none. Record-Route is copied for 18x/2xx to INVITE (§12.1.1).
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  toTag?: string,
): SipResponse {
  const response = new SipResponse(status, reason ?? reasonPhrase(status));
  const copyRecordRoute = request.method === 'INVITE' && status > 100 && status < 300;
  for (const h of request.headers) {
    const key = normalizeHeaderName(h.name);
    if (!COPIED_TO_RESPONSE.has(key)) continue;
    if (key === 'record-route' && !copyRecordRoute) continue;
    let value = h.value;
    if (key === 'to' && toTag !== undefined && request.toTag === undefined && status !== 100) {
      value = `${value};tag=${toTag}`;
    }
    response.headers.push({ name: h.name, value });
  }
  return response;
}

export interface RequestInit {
  method: string;
  uri: string;
  /** Full From header value, with tag. */
  from: string;
  /** Full To header value. */
  to: string;
  callId: string;
  cseq: number;
  maxForwards?: number;
  headers?: Array<[string, string | number]>;
  body?: Buffer;
  contentType?: string;
}

/** A new out-of-dialog request skeleton (RFC 3261 §8.1.1); the transport layer adds the top Via. */
export function createRequest(init: RequestInit): SipRequest {
  const request = new SipRequest(init.method, init.uri);
  request.append('Max-Forwards', init.maxForwards ?? 70);
  request.append('From', init.from);
  request.append('To', init.to);
  request.append('Call-ID', init.callId);
  request.append('CSeq', `${init.cseq} ${init.method}`);
  for (const [name, value] of init.headers ?? []) request.append(name, value);
  if (init.body) {
    request.body = init.body;
    if (init.contentType) request.append('Content-Type', init.contentType);
  }
  return request;
}
