// Parse throughput of typical MSRP frames (RFC 4975): small SENDs with responses, 2048-byte chunks,
// and one large chunk streamed in 64 KiB reads.
import { bench, describe } from 'vitest';
import { MsrpParser, buildRequest, buildResponse, serializeFrame } from '../protocol/msrp/index.js';

const TO = 'msrp://127.0.0.1:40001/k3j4h5g6f7d8s9a0;tcp';
const FROM = 'msrp://127.0.0.1:40002/q1w2e3r4t5y6u7i8;tcp';

function send(body: Buffer, range: string, flag: '$' | '+' = '$'): Buffer {
  return serializeFrame(
    buildRequest({
      method: 'SEND',
      toPath: TO,
      fromPath: FROM,
      headers: [
        { name: 'Message-ID', value: 'a1b2c3d4e5' },
        { name: 'Byte-Range', value: range },
      ],
      contentType: 'message/cpim',
      body,
      flag,
    }),
  );
}

const small = Buffer.concat(
  Array.from({ length: 1000 }, (_, i) =>
    Buffer.concat([
      send(Buffer.from(`hello number ${i}`), '1-16/16'),
      serializeFrame(buildResponse(`t${i}xxxx`, 200, FROM, TO)),
    ]),
  ),
);
const chunk = Buffer.alloc(2048, 0x61);
const chunks = Buffer.concat(
  Array.from({ length: 512 }, (_, i) =>
    send(chunk, `${i * 2048 + 1}-${(i + 1) * 2048}/1048576`, i === 511 ? '$' : '+'),
  ),
);
const big = send(Buffer.alloc(4 * 1024 * 1024, 0x2d), '1-4194304/4194304');

function feed(stream: Buffer, read: number): number {
  const parser = new MsrpParser({ limits: { maxChunkBytes: 8 * 1024 * 1024 } });
  let n = 0;
  for (let i = 0; i < stream.length; i += read) n += parser.push(stream.subarray(i, i + read)).length;
  return n;
}

describe('MSRP parser', () => {
  bench('1000 small SEND + 200 pairs, 16 KiB reads', () => {
    feed(small, 16 * 1024);
  });
  bench('1 MiB as 512 × 2048-byte chunks, 64 KiB reads', () => {
    feed(chunks, 64 * 1024);
  });
  bench('one 4 MiB chunk of dashes (worst case for the end-line search), 64 KiB reads', () => {
    feed(big, 64 * 1024);
  });
  bench('1000 small frames, one byte at a time (first 20 KiB)', () => {
    feed(small.subarray(0, 20 * 1024), 1);
  });
});
