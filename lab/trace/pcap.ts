// pcap export of a merged timeline: classic libpcap file (https://wiki.wireshark.org/Development/LibpcapFileFormat,
// draft-ietf-opsawg-pcap), LINKTYPE_ETHERNET, IPv4/IPv6 + UDP for SIP/UDP, TCP for SIP/TCP and MSRP with a
// SYN/SYN-ACK/ACK handshake per connection, consistent sequence numbers and receiver ACKs.

import { writeFile } from 'node:fs/promises';
import type { WireAddress } from '../../protocol/trace/index.js';
import { connectionKeyOf, tcpConnections } from './connections.js';
import { sameEndpoint } from './endpoints.js';
import type { Hop } from './merge.js';
import { type FrameParts, ipPair, TCP_ACK, TCP_PSH, TCP_SYN, tcpFrame, udpFrame } from './packets.js';

/** pcap magic for microsecond timestamps, written little-endian. */
const PCAP_MAGIC = 0xa1b2c3d4;
/** LINKTYPE_ETHERNET (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE_ETHERNET = 1;
/** Wireshark's largest snapshot length for Ethernet. */
const SNAPLEN = 262_144;
/** IPv4 total length (65 535) minus IPv4 and TCP headers. */
const MAX_TCP_PAYLOAD = 65_495;
/** RFC 7323 §2.2 window scale announced in the SYNs: window fields count 128-byte units. */
const WINDOW_SCALE = 7;

export interface PcapOptions {
  /** Largest TCP payload per segment (default and maximum 65 495, what an IPv4 packet can carry). */
  maxSegmentSize?: number;
  /** The receiver ACKs every data segment (default true); off, only data and handshakes are written. */
  acks?: boolean;
}

interface TcpSide {
  address: WireAddress;
  /** Next sequence number this side sends. */
  next: number;
}

interface Frame extends FrameParts {
  /** Microseconds since the epoch. */
  micros: number;
}

/** The pcap file for these hops, in their order; each hop's bytes are the TCP/UDP payload exactly. */
export function pcapBytes(hops: readonly Hop[], options: PcapOptions = {}): Buffer {
  const frames = buildFrames(hops, options);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(PCAP_MAGIC, 0);
  header.writeUInt16LE(2, 4); // version 2.4
  header.writeUInt16LE(4, 6);
  header.writeInt32LE(0, 8); // thiszone: UTC
  header.writeUInt32LE(0, 12); // sigfigs
  header.writeUInt32LE(SNAPLEN, 16);
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts: Buffer[] = [header];
  for (const f of frames) {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(f.micros / 1e6), 0);
    record.writeUInt32LE(f.micros % 1e6, 4);
    record.writeUInt32LE(f.headers.length + f.payload.length, 8); // incl_len
    record.writeUInt32LE(f.wireLength, 12); // orig_len: more when the trace cut the message
    parts.push(record, f.headers, f.payload);
  }
  return Buffer.concat(parts);
}

/** Writes pcapBytes(hops) to a file. */
export async function writePcap(
  path: string,
  hops: readonly Hop[],
  options: PcapOptions = {},
): Promise<void> {
  await writeFile(path, pcapBytes(hops, options));
}

function buildFrames(hops: readonly Hop[], options: PcapOptions): Frame[] {
  const mss = Math.max(1, Math.min(options.maxSegmentSize ?? MAX_TCP_PAYLOAD, MAX_TCP_PAYLOAD));
  const acks = options.acks ?? true;
  const frames: Frame[] = [];
  const connections = tcpConnections(hops);
  const states = new Map<string, [initiator: TcpSide, acceptor: TcpSide]>();
  let ipId = 0;
  let last = 0;
  // Timestamps never go backwards: the hop order (causal) wins over skewed clocks.
  const push = (parts: FrameParts, ms: number): void => {
    last = Math.max(last, Math.round(ms * 1000));
    frames.push({ ...parts, micros: last });
  };
  const segment = (
    from: TcpSide,
    to: TcpSide,
    flags: number,
    payload: Buffer,
    length: number,
    ms: number,
  ): void => {
    const syn = (flags & TCP_SYN) !== 0;
    const seg = { srcPort: from.address.port, dstPort: to.address.port, seq: from.next, ack: to.next, flags };
    const header = syn ? { ...seg, window: 0xffff, options: SYN_OPTIONS } : { ...seg, window: WINDOW };
    push(tcpFrame(ipPair(from.address, to.address), header, payload, length, ipId++), ms);
  };
  for (const hop of hops) {
    const sent = hop.sentAt ?? hop.time;
    const received = Math.max(sent, hop.receivedAt ?? sent);
    if (hop.transport === 'udp') {
      push(
        udpFrame(ipPair(hop.src, hop.dst), hop.src.port, hop.dst.port, hop.raw, hop.rawLength, ipId++),
        sent,
      );
      continue;
    }
    const pair = connectionKeyOf(hop);
    let state = states.get(pair);
    if (!state) {
      const opened = connections.get(pair)!;
      const a: TcpSide = { address: opened.initiator, next: isn(opened.key, 'initiator') };
      const b: TcpSide = { address: opened.acceptor, next: isn(opened.key, 'acceptor') };
      state = [a, b];
      states.set(pair, state);
      // RFC 9293 §3.5 three-way handshake, just before the first message; SYN and FIN count one octet.
      segment(a, b, TCP_SYN, EMPTY, 0, sent - 0.003);
      a.next = (a.next + 1) >>> 0;
      segment(b, a, TCP_SYN | TCP_ACK, EMPTY, 0, sent - 0.002);
      b.next = (b.next + 1) >>> 0;
      segment(a, b, TCP_ACK, EMPTY, 0, sent - 0.001);
    }
    const [sender, receiver] = sameEndpoint(state[0].address, hop.src) ? state : [state[1], state[0]];
    // Segments of at most mss bytes; the last one pushes (RFC 9293 §3.9.1.2).
    let offset = 0;
    do {
      const length = Math.min(mss, hop.rawLength - offset);
      const payload = hop.raw.subarray(
        Math.min(offset, hop.raw.length),
        Math.min(offset + length, hop.raw.length),
      );
      const flags = offset + length >= hop.rawLength ? TCP_PSH | TCP_ACK : TCP_ACK;
      segment(sender, receiver, flags, payload, length, sent);
      sender.next = (sender.next + length) >>> 0;
      if (acks) segment(receiver, sender, TCP_ACK, EMPTY, 0, received);
      offset += length;
    } while (offset < hop.rawLength);
  }
  return frames;
}

const EMPTY = Buffer.alloc(0);
/** Unscaled window field value meaning 65 535 × 2^7 bytes once scaling is on. */
const WINDOW = 0xffff;
// MSS 65495 (kind 2), NOP, window scale (kind 3, shift 7): 8 bytes, a multiple of 4.
const SYN_OPTIONS = Buffer.from([2, 4, 0xff, 0xd7, 1, 3, 3, WINDOW_SCALE]);

/** A deterministic initial sequence number per connection side (FNV-1a of the connection and side). */
function isn(connection: string, side: string): number {
  let h = 0x811c9dc5;
  for (const c of `${connection}/${side}`) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
