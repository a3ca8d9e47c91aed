// Cheap, bounded summary of one SIP or MSRP message for the trace: start line, SIP Call-ID, MSRP
// transaction id. Reads only the header part, at most MAX_HEADER_SCAN bytes; never throws.

import type { WireProtocol } from '../protocol/trace/index.js';

/** Bytes of a message looked at for the header section. */
export const MAX_HEADER_SCAN = 16 * 1024;
/** Longest start line kept (longer ones are cut and end in "…"). */
export const MAX_START_LINE = 1024;
const MAX_CALL_ID = 256;

export interface WireSummary {
  startLine: string;
  callId?: string;
  msrpTransactionId?: string;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const LF_LF = Buffer.from('\n\n');
// RFC 3261 §20.8: Call-ID, compact form "i"; header names are case-insensitive (§7.3.1).
const CALL_ID = /^(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/im;
// RFC 4975 §9: req-start = pMSRP SP transact-id SP method CRLF;
// resp-line = pMSRP SP transact-id SP status-code [SP comment] CRLF; ident = ALPHANUM 3*31ident-char.
const MSRP_START = /^MSRP ([A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}) /;

export function summarizeWire(protocol: WireProtocol, raw: Buffer): WireSummary {
  const scan = raw.subarray(0, Math.min(raw.length, MAX_HEADER_SCAN));
  // RFC 3261 §7.5: CRLFs before the start line are ignored (and are keep-alives, RFC 5626 §3.5.1).
  let start = 0;
  while (start < scan.length && (scan[start] === 0x0d || scan[start] === 0x0a)) start++;
  let lineEnd = scan.indexOf(0x0a, start);
  if (lineEnd < 0) lineEnd = scan.length;
  const startLine = clip(scan.toString('utf8', start, lineEnd).replace(/\r$/, ''), MAX_START_LINE);
  const summary: WireSummary = { startLine };
  if (protocol === 'msrp') {
    const m = MSRP_START.exec(startLine);
    if (m) summary.msrpTransactionId = m[1];
    return summary;
  }
  if (lineEnd >= scan.length) return summary;
  // The header section ends at the first empty line (RFC 3261 §7); tolerate bare-LF senders too.
  const crlfEnd = scan.indexOf(CRLF_CRLF, lineEnd - 1);
  const lfEnd = scan.indexOf(LF_LF, lineEnd);
  const headerEnd = Math.min(crlfEnd < 0 ? scan.length : crlfEnd, lfEnd < 0 ? scan.length : lfEnd);
  // latin1 maps bytes 1:1, so no UTF-8 decoding cost or replacement surprises in header names.
  const headers = scan.toString('latin1', lineEnd + 1, headerEnd);
  const m = CALL_ID.exec(headers);
  if (m) {
    // The value decoded on its own from its bytes: a slice of `headers` would keep the whole header section
    // alive as long as the trace keeps the record.
    const valueStart = lineEnd + 1 + m.index + m[0].length - m[1]!.length;
    const callId = scan.toString('latin1', valueStart, valueStart + m[1]!.length).trim();
    if (callId !== '') summary.callId = clip(callId, MAX_CALL_ID);
  }
  return summary;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
