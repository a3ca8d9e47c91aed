// Byte-Range header (RFC 4975 §8.1 / §9): `start-end/total`, 1-based, inclusive, body octets only;
// `end` and `total` may be `*` (unknown). Formatting always writes numbers where they are known.

export interface ByteRange {
  /** 1-based index of the chunk's first octet within the whole message. */
  start: number;
  /** 1-based index of the chunk's last octet, or undefined for `*`. */
  end: number | undefined;
  /** Size of the whole message, or undefined for `*`. */
  total: number | undefined;
}

const BYTE_RANGE_RE = /^\s*(\d{1,15})-(\d{1,15}|\*)\/(\d{1,15}|\*)\s*$/;

/** Parse a Byte-Range value; undefined when malformed or inconsistent. */
export function parseByteRange(value: string): ByteRange | undefined {
  const m = BYTE_RANGE_RE.exec(value);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === '*' ? undefined : Number(m[2]);
  const total = m[3] === '*' ? undefined : Number(m[3]);
  if (start < 1) return undefined;
  // RFC 4975 §9: an empty chunk may write end = start - 1; anything below that is nonsense.
  if (end !== undefined && end < start - 1) return undefined;
  if (total !== undefined && end !== undefined && end > total) return undefined;
  return { start, end, total };
}

export function formatByteRange(range: ByteRange): string {
  return `${range.start}-${range.end ?? '*'}/${range.total ?? '*'}`;
}
