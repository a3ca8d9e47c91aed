// Fuzz (bounded): every parser that reads peer input, fed random and mutated input. The rules it holds them
// to: only the parser's own typed error is ever thrown, a stream parser's output never depends on where the
// reads split, and memory stays bounded. CPM_LAB_FUZZ_RUNS sets the runs per property (default 200 000;
// `npm run fuzz` runs about a million inputs in all).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpimParseError, parseCpim } from '../protocol/cpim/index.js';
import { MsrpParser } from '../protocol/msrp/index.js';
import { parseMsrpSdp, SdpParseError } from '../protocol/sdp/index.js';
import { parseMessage, SipParseError, SipStreamParser } from '../protocol/sip/index.js';
import { describeStreamItem } from '../protocol/sip/test-support/stream-items.js';
import { CORPUS } from '../protocol/sip/test-support/corpus.js';

const RUNS = Number(process.env.CPM_LAB_FUZZ_RUNS ?? 200_000);
const seeds = Object.values(CORPUS);

const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.nat(),
  )
  .map(([m, edits, cut]) => {
    const b = Buffer.from(m);
    for (const [pos, byte] of edits) b[pos % b.length] = byte;
    return b.subarray(0, (cut % b.length) + 1);
  });
const input = fc.oneof(
  mutated,
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
);

describe(`parsers under fuzz (${RUNS} runs per property)`, () => {
  it('SIP datagram parser: only SipParseError', () => {
    fc.assert(
      fc.property(input, (buf) => {
        try {
          parseMessage(buf);
        } catch (err) {
          expect(err).toBeInstanceOf(SipParseError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('SIP stream parser: the same items for any split of any input, bounded buffer', () => {
    fc.assert(
      fc.property(
        fc.array(input, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (parts, cuts) => {
          const whole = Buffer.concat(parts);
          if (whole.length === 0) return;
          const expected = new SipStreamParser({ maxMessageSize: 2048 }).push(whole).map(describeStreamItem);
          const points = [...new Set(cuts.map((c) => (c % whole.length) + 1))]
            .filter((c) => c < whole.length)
            .sort((a, b) => a - b);
          const parser = new SipStreamParser({ maxMessageSize: 2048 });
          const got: string[] = [];
          let from = 0;
          for (const to of [...points, whole.length]) {
            got.push(...parser.push(whole.subarray(from, to)).map(describeStreamItem));
            expect(parser.buffered).toBeLessThanOrEqual(2048 + 4);
            from = to;
          }
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: Math.max(1, Math.floor(RUNS / 4)) },
    );
  });

  it('MSRP stream parser: never throws; events only', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (chunks) => {
        const parser = new MsrpParser();
        for (const c of chunks) parser.push(Buffer.from(c));
      }),
      { numRuns: RUNS },
    );
  });

  it('CPIM and SDP parsers: only their typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (a) => {
        const buf = Buffer.from(a);
        try {
          parseCpim(buf);
        } catch (err) {
          expect(err).toBeInstanceOf(CpimParseError);
        }
        try {
          parseMsrpSdp(buf);
        } catch (err) {
          expect(err).toBeInstanceOf(SdpParseError);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
