// Synthetic Ethernet / IPv4 / IPv6 / UDP / TCP headers with correct lengths and checksums, for pcap export.

import { isIPv4, isIPv6 } from 'node:net';
import type { WireAddress } from '../../protocol/trace/index.js';
import { normalizeAddress } from './endpoints.js';

export const ETHERNET_HEADER = 14;
export const IPV4_HEADER = 20;
export const IPV6_HEADER = 40;
export const UDP_HEADER = 8;
export const TCP_HEADER = 20;
/** IANA protocol numbers. */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

// RFC 9293 §3.1 control bits.
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** An address pair in one IP family; a v4 address meeting a v6 one becomes `::ffff:a.b.c.d`. */
export interface IpPair {
  family: 4 | 6;
  src: Buffer;
  dst: Buffer;
}

export function ipPair(src: WireAddress, dst: WireAddress): IpPair {
  const s = normalizeAddress(src.address);
  const d = normalizeAddress(dst.address);
  if (isIPv4(s) && isIPv4(d)) return { family: 4, src: ipv4Bytes(s), dst: ipv4Bytes(d) };
  return { family: 6, src: ipv6Bytes(s), dst: ipv6Bytes(d) };
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Buffer {
  const out = Buffer.alloc(16);
  if (isIPv4(address)) {
    // RFC 4291 §2.5.5.2 IPv4-mapped IPv6 address.
    out.writeUInt16BE(0xffff, 10);
    ipv4Bytes(address).copy(out, 12);
    return out;
  }
  if (!isIPv6(address))
    throw new RangeError(`pcap export needs IP addresses, got ${JSON.stringify(address)}`);
  // RFC 4291 §2.2: x:x:x:x:x:x:x:x, "::" for a run of zero groups, optional dotted IPv4 tail.
  let text = address;
  let groups = 8;
  const dotted = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    ipv4Bytes(dotted[1]!).copy(out, 12);
    text = text.slice(0, dotted.index + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
    groups = 6;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros: string[] = Array(groups - left.length - right.length).fill('0');
  const words = tail === undefined ? left : [...left, ...zeros, ...right];
  words.forEach((w, i) => {
    out.writeUInt16BE(Number.parseInt(w, 16), i * 2);
  });
  return out;
}

/** Locally administered unicast MAC (IEEE 802 U/L bit) derived from the IP address: 02:00:<last 4 bytes>. */
function macFor(ip: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x02, 0x00]), ip.subarray(ip.length - 4)]);
}

/** RFC 1071 Internet checksum over the given parts (each treated as continuing the previous). */
export function internetChecksum(parts: readonly Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    let i = 0;
    if (odd !== undefined && part.length > 0) {
      sum += (odd << 8) | part[0]!;
      odd = undefined;
      i = 1;
    }
    for (; i + 1 < part.length; i += 2) sum += (part[i]! << 8) | part[i + 1]!;
    if (i < part.length) odd = part[i]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Pseudo-header for TCP/UDP checksums: RFC 768 / RFC 9293 §3.1 (IPv4), RFC 8200 §8.1 (IPv6). */
function pseudoHeader(ip: IpPair, protocol: number, length: number): Buffer {
  if (ip.family === 4) {
    const p = Buffer.alloc(12);
    ip.src.copy(p, 0);
    ip.dst.copy(p, 4);
    p[9] = protocol;
    p.writeUInt16BE(length, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  ip.src.copy(p, 0);
  ip.dst.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = protocol;
  return p;
}

export interface FrameParts {
  /** Link, network and transport headers. */
  headers: Buffer;
  /** Payload bytes on hand (a prefix of the real payload when the trace cut the message). */
  payload: Buffer;
  /** Length of the whole frame on the wire. */
  wireLength: number;
}

/** Ethernet II + IP header in front of a transport segment of `transportLength` bytes. */
function linkAndIp(ip: IpPair, protocol: number, transportLength: number, ipId: number): Buffer {
  const eth = Buffer.alloc(ETHERNET_HEADER);
  macFor(ip.dst).copy(eth, 0);
  macFor(ip.src).copy(eth, 6);
  if (ip.family === 4) {
    eth.writeUInt16BE(0x0800, 12);
    // RFC 791 §3.1: version 4, IHL 5, total length, identification, DF, TTL 64, protocol, checksum.
    const h = Buffer.alloc(IPV4_HEADER);
    h[0] = 0x45;
    h.writeUInt16BE(IPV4_HEADER + transportLength, 2);
    h.writeUInt16BE(ipId & 0xffff, 4);
    h.writeUInt16BE(0x4000, 6);
    h[8] = 64;
    h[9] = protocol;
    ip.src.copy(h, 12);
    ip.dst.copy(h, 16);
    h.writeUInt16BE(internetChecksum([h]), 10);
    return Buffer.concat([eth, h]);
  }
  eth.writeUInt16BE(0x86dd, 12);
  // RFC 8200 §3: version 6, traffic class 0, flow label 0, payload length, next header, hop limit 64.
  const h = Buffer.alloc(IPV6_HEADER);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(transportLength, 4);
  h[6] = protocol;
  h[7] = 64;
  ip.src.copy(h, 8);
  ip.dst.copy(h, 24);
  return Buffer.concat([eth, h]);
}

/** Largest UDP payload in one datagram: IPv4 total length (RFC 791) or IPv6 payload length (RFC 8200). */
export function maxUdpPayload(family: 4 | 6): number {
  return family === 4 ? 0xffff - IPV4_HEADER - UDP_HEADER : 0xffff - UDP_HEADER;
}

/** A UDP datagram (RFC 768); `length` is the real payload length, `payload` what the trace kept of it. */
export function udpFrame(
  ip: IpPair,
  srcPort: number,
  dstPort: number,
  payload: Buffer,
  length: number,
  ipId: number,
): FrameParts {
  if (length > maxUdpPayload(ip.family)) {
    throw new RangeError(`a UDP payload of ${length} bytes does not fit one IPv${ip.family} datagram`);
  }
  const udp = Buffer.alloc(UDP_HEADER);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(UDP_HEADER + length, 4);
  if (payload.length === length) {
    // RFC 768: a computed 0 is sent as all ones; 0 means "no checksum" (IPv4 only; required for IPv6).
    const sum = internetChecksum([pseudoHeader(ip, IPPROTO_UDP, UDP_HEADER + length), udp, payload]);
    udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  }
  const headers = Buffer.concat([linkAndIp(ip, IPPROTO_UDP, UDP_HEADER + length, ipId), udp]);
  return { headers, payload, wireLength: headers.length + length };
}

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** Raw receive window field. */
  window: number;
  /** TCP options (a multiple of 4 bytes). */
  options?: Buffer;
}

/** A TCP segment (RFC 9293 §3.1); the checksum is left 0 when the trace cut the payload. */
export function tcpFrame(
  ip: IpPair,
  seg: TcpSegment,
  payload: Buffer,
  length: number,
  ipId: number,
): FrameParts {
  const options = seg.options ?? Buffer.alloc(0);
  const tcp = Buffer.alloc(TCP_HEADER + options.length);
  tcp.writeUInt16BE(seg.srcPort, 0);
  tcp.writeUInt16BE(seg.dstPort, 2);
  tcp.writeUInt32BE(seg.seq >>> 0, 4);
  tcp.writeUInt32BE(seg.flags & TCP_ACK ? seg.ack >>> 0 : 0, 8);
  tcp[12] = (tcp.length / 4) << 4;
  tcp[13] = seg.flags;
  tcp.writeUInt16BE(seg.window, 14);
  options.copy(tcp, TCP_HEADER);
  if (payload.length === length) {
    tcp.writeUInt16BE(
      internetChecksum([pseudoHeader(ip, IPPROTO_TCP, tcp.length + length), tcp, payload]),
      16,
    );
  }
  const headers = Buffer.concat([linkAndIp(ip, IPPROTO_TCP, tcp.length + length, ipId), tcp]);
  return { headers, payload, wireLength: headers.length + length };
}
