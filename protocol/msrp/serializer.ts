// MSRP serializer (RFC 4975 §7.1): start line, To-Path and From-Path first, other headers in order,
// Content-Type last before the blank line, body, end-line. Works on Buffers; bodies are never decoded.
import { MsrpSerializeError } from './errors.js';
import type { ContinuationFlag, MsrpFrame, MsrpHeader, MsrpRequest, MsrpResponse } from './frame.js';
import { STATUS_TEXT, randomIdent } from './frame.js';

const TID_RE = /^[A-Za-z0-9][A-Za-z0-9.\-+%=]{0,63}$/;
const METHOD_RE = /^[A-Z]+$/;
const NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const CRLF = Buffer.from('\r\n');

/** RFC 4975 §7.1.1: true if the end-line for `tid` could be mistaken inside `body`. */
export function bodyContainsEndLine(body: Buffer | undefined, tid: string): boolean {
  return body !== undefined && body.length > 0 && body.indexOf(`-------${tid}`, 0, 'latin1') >= 0;
}

/** RFC 4975 §7.1.1: a fresh transaction ID whose end-line does not occur in the body. */
export function pickTransactionId(body?: Buffer, generate: () => string = () => randomIdent(16)): string {
  for (;;) {
    const tid = generate();
    if (!bodyContainsEndLine(body, tid)) return tid;
  }
}

function orderHeaders(headers: readonly MsrpHeader[]): MsrpHeader[] {
  const rank = (h: MsrpHeader): number => {
    const n = h.name.toLowerCase();
    if (n === 'to-path') return 0;
    if (n === 'from-path') return 1;
    if (n === 'content-type') return 3;
    return 2;
  };
  // Array.prototype.sort is stable: headers of equal rank keep their order.
  return [...headers].sort((a, b) => rank(a) - rank(b));
}

function startLine(frame: MsrpFrame): string {
  if (frame.kind === 'request') {
    if (!METHOD_RE.test(frame.method))
      throw new MsrpSerializeError(`bad method ${JSON.stringify(frame.method)}`);
    return `MSRP ${frame.transactionId} ${frame.method}\r\n`;
  }
  if (!Number.isInteger(frame.status) || frame.status < 0 || frame.status > 999)
    throw new MsrpSerializeError(`bad status ${frame.status}`);
  const code = String(frame.status).padStart(3, '0');
  return `MSRP ${frame.transactionId} ${code}${frame.comment !== undefined ? ` ${frame.comment}` : ''}\r\n`;
}

/** Serialize a frame. Throws MsrpSerializeError on values that would corrupt the stream. */
export function serializeFrame(frame: MsrpFrame): Buffer {
  const tid = frame.transactionId;
  if (!TID_RE.test(tid)) throw new MsrpSerializeError(`bad transaction ID ${JSON.stringify(tid)}`);
  // RFC 4975 §7.1.1: the body must not contain the end-line.
  if (bodyContainsEndLine(frame.body, tid))
    throw new MsrpSerializeError(`the body contains the end-line of transaction ${tid}`);
  let head = startLine(frame);
  for (const h of orderHeaders(frame.headers)) {
    if (!NAME_RE.test(h.name) || /[\r\n\0]/.test(h.value))
      throw new MsrpSerializeError(`bad header field ${JSON.stringify(h.name)}`);
    head += `${h.name}: ${h.value}\r\n`;
  }
  const end = `-------${tid}${frame.flag}\r\n`;
  if (frame.body === undefined) return Buffer.from(head + end, 'utf8');
  return Buffer.concat([Buffer.from(head + '\r\n', 'utf8'), frame.body, CRLF, Buffer.from(end, 'latin1')]);
}

export interface RequestInit {
  method: string;
  toPath: string;
  fromPath: string;
  /** Headers between From-Path and Content-Type (Message-ID, Byte-Range, reports, Status...). */
  headers?: MsrpHeader[];
  contentType?: string;
  body?: Buffer;
  flag?: ContinuationFlag;
  /** Defaults to a fresh ID that does not collide with the body (RFC 4975 §7.1.1). */
  transactionId?: string;
}

export function buildRequest(init: RequestInit): MsrpRequest {
  const headers: MsrpHeader[] = [
    { name: 'To-Path', value: init.toPath },
    { name: 'From-Path', value: init.fromPath },
    ...(init.headers ?? []),
  ];
  if (init.contentType !== undefined) headers.push({ name: 'Content-Type', value: init.contentType });
  return {
    kind: 'request',
    transactionId: init.transactionId ?? pickTransactionId(init.body),
    method: init.method,
    headers,
    body: init.body,
    flag: init.flag ?? '$',
  };
}

/**
 * RFC 4975 §7.2: a response carries the request's transaction ID, To-Path = the request's From-Path,
 * From-Path = the responder's URI, and no body.
 */
export function buildResponse(
  transactionId: string,
  status: number,
  toPath: string,
  fromPath: string,
  comment: string | undefined = STATUS_TEXT[status],
): MsrpResponse {
  const res: MsrpResponse = {
    kind: 'response',
    transactionId,
    status,
    headers: [
      { name: 'To-Path', value: toPath },
      { name: 'From-Path', value: fromPath },
    ],
    body: undefined,
    flag: '$',
  };
  if (comment !== undefined) res.comment = comment;
  return res;
}
