// MSRP frame model (RFC 4975 §7): start line, ordered header fields as received, optional Buffer body,
// end-line flag. Header values are kept as strings so that parse→serialize is exact.
import { takeRandomBytes } from '../random/index.js';

/** RFC 4975 §7.1: `$` last chunk, `+` more chunks follow, `#` message aborted. */
export type ContinuationFlag = '$' | '+' | '#';

export interface MsrpHeader {
  name: string;
  value: string;
}

interface FrameBase {
  transactionId: string;
  headers: MsrpHeader[];
  /**
   * The body octets; `undefined` when the frame has no content-stuff at all (headers straight to
   * the end-line, RFC 4975 §7.1), which differs on the wire from an empty body after a blank line.
   */
  body: Buffer | undefined;
  flag: ContinuationFlag;
}

export interface MsrpRequest extends FrameBase {
  kind: 'request';
  /** RFC 4975 §9: 1*UPALPHA; SEND and REPORT are defined, others get 501. */
  method: string;
}

export interface MsrpResponse extends FrameBase {
  kind: 'response';
  status: number;
  comment?: string;
}

export type MsrpFrame = MsrpRequest | MsrpResponse;

export const H = {
  toPath: 'To-Path',
  fromPath: 'From-Path',
  messageId: 'Message-ID',
  byteRange: 'Byte-Range',
  contentType: 'Content-Type',
  successReport: 'Success-Report',
  failureReport: 'Failure-Report',
  status: 'Status',
} as const;

/** The first header field named `name` (case-insensitive, RFC 4975 §9 header names). */
export function getHeader(frame: Pick<FrameBase, 'headers'>, name: string): string | undefined {
  const key = name.toLowerCase();
  for (const h of frame.headers) if (h.name.toLowerCase() === key) return h.value;
  return undefined;
}

/** RFC 4975 §9 reason phrases for the codes the stack sends. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  408: 'Request Timeout',
  413: 'Message Too Large',
  415: 'Unsupported Media Type',
  423: 'Parameter Out Of Bounds',
  481: 'No Such Session',
  501: 'Not Implemented',
  506: 'Session Already Bound',
};

export type ReportPolicy = 'yes' | 'no' | 'partial';

/** RFC 4975 §7.1.2: Failure-Report defaults to `yes`; unknown values are treated as `yes`. */
export function failureReportOf(frame: Pick<FrameBase, 'headers'>): ReportPolicy {
  const v = getHeader(frame, H.failureReport)?.trim().toLowerCase();
  return v === 'no' || v === 'partial' ? v : 'yes';
}

/** RFC 4975 §7.1.2: Success-Report defaults to `no`. */
export function successReportOf(frame: Pick<FrameBase, 'headers'>): boolean {
  return getHeader(frame, H.successReport)?.trim().toLowerCase() === 'yes';
}

export interface MsrpStatus {
  namespace: number;
  code: number;
  comment?: string;
}

/** RFC 4975 §9 Status header: `000 200 OK` (namespace, code, optional comment). */
export function parseStatus(value: string): MsrpStatus | undefined {
  const m = /^\s*(\d{3}) (\d{3})(?: (.*))?$/.exec(value);
  if (!m) return undefined;
  const status: MsrpStatus = { namespace: Number(m[1]), code: Number(m[2]) };
  if (m[3] !== undefined) status.comment = m[3];
  return status;
}

export function formatStatus(code: number, comment = STATUS_TEXT[code]): string {
  return `000 ${code}${comment ? ` ${comment}` : ''}`;
}

// RFC 4975 §9: ident = ALPHANUM 3*31ident-char. Ours: 16 alphanumerics (~95 bits).
const TID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function randomIdent(length = 16): string {
  const bytes = takeRandomBytes(length);
  let out = '';
  for (const b of bytes) out += TID_ALPHABET[b % TID_ALPHABET.length];
  return out;
}

/** A Message-ID (RFC 4975 §9: ident). */
export function newMessageId(): string {
  return randomIdent(20);
}
