// CSeq header field (RFC 3261 §20.16): sequence number < 2^31 and a method token.
import { SipParseError } from './errors.js';

export interface CSeq {
  seq: number;
  method: string;
}

const CSEQ_RE = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/;

export function parseCSeq(text: string): CSeq {
  const m = CSEQ_RE.exec(text.trim());
  if (!m) throw new SipParseError('cseq', `bad CSeq ${JSON.stringify(text)}`);
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) throw new SipParseError('cseq', `CSeq number out of range: ${m[1]}`);
  return { seq, method: m[2]! };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
