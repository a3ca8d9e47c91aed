import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceRecorder } from '../../runtime/index.js';
import {
  type Hop,
  LINKTYPE_ETHERNET,
  mergeNodeTraces,
  pcapBytes,
  tsharkDecodeAsArgs,
  wiresharkDecodeAsEntries,
  writePcap,
} from './index.js';
import { recordDeferredFlow, T0 } from './test-support/deferred-flow.js';
import { msrpRequest, RecordedLab } from './test-support/messages.js';

const run = promisify(execFile);

/** tshark's stdout; a missing tshark fails the test with instructions (CI installs it), it never skips. */
async function tshark(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('tshark', [...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'tshark not found on PATH: the pcap export tests need it (Debian/Ubuntu: apt-get install tshark)',
      );
    }
    throw error;
  }
}

/** One row per frame of `-T fields` output, split on tabs. */
async function fields(file: string, extra: readonly string[], names: readonly string[]): Promise<string[][]> {
  const out = await tshark([
    '-r',
    file,
    ...extra,
    '-T',
    'fields',
    '-E',
    'occurrence=f',
    ...names.flatMap((n) => ['-e', n]),
  ]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/** `-z expert` with checksum validation on for IP, UDP and TCP. */
async function expert(file: string, extra: readonly string[] = []): Promise<string> {
  return tshark([
    '-r',
    file,
    ...extra,
    '-o',
    'ip.check_checksum:TRUE',
    '-o',
    'udp.check_checksum:TRUE',
    '-o',
    'tcp.check_checksum:TRUE',
    '-q',
    '-z',
    'expert',
  ]);
}

describe('pcap export', () => {
  let dir: string;
  let hops: Hop[];

  beforeAll(async () => {
    expect(await tshark(['-v'])).toMatch(/TShark \(Wireshark\) \d+\.\d+/);
    dir = await mkdtemp(join(tmpdir(), 'cpm-lab-pcap-'));
    hops = mergeNodeTraces(recordDeferredFlow({ skew: { alice: 2 } }).records());
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('tsharkDecodeAsArgs names each listening port: MSRP on its TCP port, SIP on its UDP/TCP ports', () => {
    expect(tsharkDecodeAsArgs(hops)).toEqual([
      '-d',
      'tcp.port==5060,sip',
      '-d',
      'tcp.port==7394,msrp',
      '-d',
      'udp.port==5060,sip',
      '-d',
      'udp.port==5070,sip',
    ]);
    expect(wiresharkDecodeAsEntries(hops)).toContain('decode_as_entry: tcp.port,7394,(none),MSRP');
  });

  it('libpcap format: magic a1b2c3d4 (µs), version 2.4, LINKTYPE_ETHERNET, first record at the first hop’s time', async () => {
    const file = join(dir, 'format.pcap');
    await writePcap(file, hops);
    const bytes = await readFile(file);
    expect(bytes.equals(pcapBytes(hops))).toBe(true);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect([bytes.readUInt16LE(4), bytes.readUInt16LE(6)]).toEqual([2, 4]);
    expect(bytes.readUInt32LE(20)).toBe(LINKTYPE_ETHERNET);
    expect(bytes.readUInt32LE(24)).toBe(Math.floor(T0 / 1000));
    expect(bytes.readUInt32LE(28)).toBe((T0 % 1000) * 1000);
  });

  it('tshark decodes SIP requests/responses and MSRP SEND/200 (MSRP heuristic off: the decode-as args do it)', async () => {
    const file = join(dir, 'flow.pcap');
    await writePcap(file, hops);
    const rows = await fields(
      file,
      ['--disable-heuristic', 'msrp_tcp', ...tsharkDecodeAsArgs(hops), '-Y', 'sip || msrp'],
      [
        'frame.protocols',
        'ip.src',
        'ip.dst',
        'udp.srcport',
        'udp.dstport',
        'tcp.srcport',
        'tcp.dstport',
        'sip.Method',
        'sip.Status-Code',
        'sip.CSeq.method',
        'msrp.method',
        'msrp.status.code',
        'msrp.transaction.id',
      ],
    );
    const compact = rows.map(([protocols, src, dst, us, ud, ts, td, method, status, cseq, mm, ms, tid]) => {
      expect([src, dst]).toEqual(['127.0.0.1', '127.0.0.1']);
      const ports = us ? `udp ${us}>${ud}` : `tcp ${ts}>${td}`;
      const what = mm || ms ? `MSRP ${mm || ms} ${tid}` : method ? method : `${status} ${cseq}`;
      return `${protocols!.replace('eth:ethertype:ip:', '')} ${ports} ${what}`;
    });
    expect(compact).toEqual([
      'udp:sip:sdp udp 5070>5060 INVITE',
      'tcp:sip:sdp tcp 5060>40001 INVITE',
      'tcp:sip:sdp tcp 40001>5060 200 INVITE',
      'udp:sip:sdp udp 5060>5070 200 INVITE',
      'udp:sip udp 5070>5060 ACK',
      'tcp:sip tcp 5060>40001 ACK',
      'tcp:msrp tcp 40002>7394 MSRP SEND a1b2c3d4',
      'tcp:msrp tcp 7394>40002 MSRP 200 a1b2c3d4',
      'tcp:msrp tcp 7394>40002 MSRP SEND f9e8d7c6',
      'tcp:msrp tcp 40002>7394 MSRP 200 f9e8d7c6',
      'udp:sip udp 5070>5060 BYE',
      'tcp:sip tcp 5060>40001 BYE',
      'tcp:sip tcp 40001>5060 200 BYE',
      'udp:sip udp 5060>5070 200 BYE',
    ]);
  });

  it('the UDP/TCP payload of each message is the traced bytes exactly', async () => {
    const file = join(dir, 'payload.pcap');
    await writePcap(file, hops);
    const rows = await fields(file, ['-Y', 'udp.length > 8 || tcp.len > 0'], ['udp.payload', 'tcp.payload']);
    expect(rows.map(([u, t]) => Buffer.from(u || t!, 'hex'))).toEqual(hops.map((h) => h.raw));
  });

  it('one SYN/SYN-ACK/ACK per TCP connection, consistent sequence numbers, valid checksums, nothing malformed', async () => {
    const file = join(dir, 'expert.pcap');
    await writePcap(file, hops);
    const report = await expert(file, tsharkDecodeAsArgs(hops));
    expect(report).not.toMatch(/^(Errors|Warns) \(/m);
    expect(report).not.toMatch(/Malformed|checksum/i);
    expect(report).toMatch(/Connection establish request \(SYN\): server port 5060/);
    expect(report).toMatch(/Connection establish request \(SYN\): server port 7394/);
    const analysis = await fields(file, ['-Y', 'tcp.analysis.flags'], ['frame.number']);
    expect(analysis).toEqual([]);
    const syns = await fields(
      file,
      ['-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0'],
      ['tcp.srcport', 'tcp.dstport'],
    );
    expect(syns).toEqual([
      ['40001', '5060'],
      ['40002', '7394'],
    ]);
  });

  it('segments a message over 64 KiB (IPv6 here) and tshark reassembles it into one MSRP SEND', async () => {
    const lab = new RecordedLab();
    const alice = { node: 'alice', address: { address: '::1', port: 40_002 } };
    const pf = { node: 'pf', address: { address: '::1', port: 7394 } };
    const content = 'x'.repeat(150_000);
    const send = msrpRequest(
      'big12345',
      'SEND',
      'msrp://[::1]:7394/s1;tcp',
      'msrp://[::1]:40002/s2;tcp',
      [
        ['Message-ID', 'm1'],
        ['Byte-Range', `1-${content.length}/${content.length}`],
      ],
      { type: 'text/plain', content },
    );
    lab.send(alice, pf, send, { at: T0, protocol: 'msrp', transport: 'tcp' });
    const big = mergeNodeTraces(lab.records());
    for (const [name, options] of [
      ['big.pcap', {}],
      ['big-1460.pcap', { maxSegmentSize: 1460 }],
    ] as const) {
      const file = join(dir, name);
      await writePcap(file, big, options);
      const args = ['--disable-heuristic', 'msrp_tcp', ...tsharkDecodeAsArgs(big)];
      const rows = await fields(
        file,
        [...args, '-Y', 'msrp'],
        ['ipv6.src', 'ipv6.dst', 'msrp.method', 'tcp.reassembled.length'],
      );
      expect(rows).toEqual([['::1', '::1', 'SEND', String(send.length)]]);
      const segments = await fields(file, ['-Y', 'tcp.len > 0'], ['tcp.len']);
      const size = 'maxSegmentSize' in options ? options.maxSegmentSize : 65_495;
      expect(segments).toHaveLength(Math.ceil(send.length / size));
      expect(Math.max(...segments.map(([len]) => Number(len)))).toBe(size);
      const report = await expert(file, args);
      expect(report).not.toMatch(/^(Errors|Warns) \(/m);
    }
  });

  it('a message the recorder cut is written with orig_len > incl_len (libpcap snapshot semantics)', async () => {
    const recorder = new TraceRecorder({ node: 'alice', maxRawBytes: 100 });
    const send = msrpRequest(
      'cut12345',
      'SEND',
      'msrp://127.0.0.1:7394/s;tcp',
      'msrp://127.0.0.1:40002/t;tcp',
      [],
      {
        type: 'text/plain',
        content: 'z'.repeat(400),
      },
    );
    recorder.record({
      time: T0,
      protocol: 'msrp',
      direction: 'out',
      transport: 'tcp',
      local: { address: '127.0.0.1', port: 40_002 },
      remote: { address: '127.0.0.1', port: 7394 },
      raw: send,
    });
    const cut = mergeNodeTraces([recorder.query().records]);
    expect(cut[0]!.seenBy).toBe('sender');
    const file = join(dir, 'cut.pcap');
    await writePcap(file, cut);
    const rows = await fields(file, ['-Y', 'tcp.len > 0'], ['frame.len', 'frame.cap_len', 'tcp.len']);
    expect(rows).toEqual([[String(54 + send.length), String(54 + 100), String(send.length)]]);
  });
});
