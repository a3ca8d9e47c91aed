// Random bytes for protocol identifiers (SIP tags, branches, Call-IDs; MSRP transaction and Message-IDs,
// session ids; IMDN Message-IDs), from one pool filled 4 KiB at a time: the same CSPRNG (crypto.randomBytes),
// each byte handed out once, but one system call per few hundred identifiers instead of one each (a busy
// node makes several per message).
import { randomBytes } from 'node:crypto';

const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** `n` fresh random bytes, valid until the next call (read them at once; copy to keep them). */
export function takeRandomBytes(n: number): Buffer {
  if (offset + n > pool.length) {
    pool = randomBytes(Math.max(POOL_SIZE, n));
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + n);
  offset += n;
  return bytes;
}

/** `n` fresh random bytes as 2n hex digits. */
export function randomHex(n: number): string {
  return takeRandomBytes(n).toString('hex');
}
