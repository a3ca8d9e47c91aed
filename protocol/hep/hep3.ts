// HEP version 3 (the Homer Encapsulation Protocol, "HEP3 Network Protocol Specification", sipcapture.org):
// how a SIP server such as drachtio-server reports every message it sends or receives to a capture agent.
// One UDP datagram carries one packet: "HEP3", a 16-bit total length, then chunks of
// (vendor id u16, type id u16, chunk length u16 including this 6-byte header, payload).
// Decoding is total: any input gives a packet or a Hep3Error, never an exception past decodeHep3.

export class Hep3Error extends Error {
  override readonly name = 'Hep3Error';
}

/** The chunk types of vendor 0 (generic) this decoder reads (HEP3 spec, "Chunk types"). */
const CHUNK = {
  ipFamily: 1,
  ipProtocol: 2,
  ipv4Source: 3,
  ipv4Destination: 4,
  ipv6Source: 5,
  ipv6Destination: 6,
  sourcePort: 7,
  destinationPort: 8,
  timestampSeconds: 9,
  timestampMicroseconds: 10,
  protocolType: 11,
  captureAgentId: 12,
  payload: 15,
} as const;

/** Protocol type 1 is SIP (HEP3 spec, "Protocol types"). */
export const HEP_PROTOCOL_SIP = 1;

const HEADER_LENGTH = 6;
/** A UDP datagram is at most 65,535 bytes; a packet claiming more is not HEP3. */
export const MAX_HEP3_PACKET = 65_535;

export interface Hep3Packet {
  /** IP protocol number (RFC 790): 6 TCP, 17 UDP, 132 SCTP. */
  ipProtocol: number;
  source: { address: string; port: number };
  destination: { address: string; port: number };
  /** Capture time, milliseconds since the epoch (microsecond precision). */
  time: number;
  /** HEP protocol type: 1 SIP. */
  protocolType: number;
  captureAgentId: number | undefined;
  payload: Buffer;
}

/** Decode one HEP3 datagram. Chunks of other vendors and unknown types are skipped (HEP3 is extensible). */
export function decodeHep3(packet: Buffer): Hep3Packet | Hep3Error {
  if (packet.length < HEADER_LENGTH || packet.toString('latin1', 0, 4) !== 'HEP3') {
    return new Hep3Error('not a HEP3 packet');
  }
  const total = packet.readUInt16BE(4);
  if (total < HEADER_LENGTH || total > packet.length) {
    return new Hep3Error(`HEP3 length ${total} does not fit the ${packet.length}-byte datagram`);
  }
  let family: number | undefined;
  let ipProtocol: number | undefined;
  let sourceAddress: string | undefined;
  let destinationAddress: string | undefined;
  let sourcePort: number | undefined;
  let destinationPort: number | undefined;
  let seconds: number | undefined;
  let micros = 0;
  let protocolType: number | undefined;
  let captureAgentId: number | undefined;
  let payload: Buffer | undefined;
  let at = HEADER_LENGTH;
  while (at < total) {
    if (total - at < HEADER_LENGTH) return new Hep3Error(`truncated chunk header at byte ${at}`);
    const vendor = packet.readUInt16BE(at);
    const type = packet.readUInt16BE(at + 2);
    const length = packet.readUInt16BE(at + 4);
    if (length < HEADER_LENGTH || at + length > total) {
      return new Hep3Error(`chunk ${vendor}/${type} at byte ${at} has length ${length}, past the packet`);
    }
    const body = packet.subarray(at + HEADER_LENGTH, at + length);
    at += length;
    if (vendor !== 0) continue;
    const fixed = (size: number): boolean => body.length === size;
    switch (type) {
      case CHUNK.ipFamily:
        if (!fixed(1)) return new Hep3Error('IP family chunk is not 1 byte');
        family = body[0];
        break;
      case CHUNK.ipProtocol:
        if (!fixed(1)) return new Hep3Error('IP protocol chunk is not 1 byte');
        ipProtocol = body[0];
        break;
      case CHUNK.ipv4Source:
      case CHUNK.ipv4Destination: {
        if (!fixed(4)) return new Hep3Error('IPv4 address chunk is not 4 bytes');
        const address = [...body].join('.');
        if (type === CHUNK.ipv4Source) sourceAddress = address;
        else destinationAddress = address;
        break;
      }
      case CHUNK.ipv6Source:
      case CHUNK.ipv6Destination: {
        if (!fixed(16)) return new Hep3Error('IPv6 address chunk is not 16 bytes');
        const address = formatIpv6(body);
        if (type === CHUNK.ipv6Source) sourceAddress = address;
        else destinationAddress = address;
        break;
      }
      case CHUNK.sourcePort:
      case CHUNK.destinationPort:
        if (!fixed(2)) return new Hep3Error('port chunk is not 2 bytes');
        if (type === CHUNK.sourcePort) sourcePort = body.readUInt16BE(0);
        else destinationPort = body.readUInt16BE(0);
        break;
      case CHUNK.timestampSeconds:
        if (!fixed(4)) return new Hep3Error('timestamp chunk is not 4 bytes');
        seconds = body.readUInt32BE(0);
        break;
      case CHUNK.timestampMicroseconds:
        if (!fixed(4)) return new Hep3Error('timestamp chunk is not 4 bytes');
        micros = body.readUInt32BE(0);
        break;
      case CHUNK.protocolType:
        if (!fixed(1)) return new Hep3Error('protocol type chunk is not 1 byte');
        protocolType = body[0];
        break;
      case CHUNK.captureAgentId:
        if (!fixed(4)) return new Hep3Error('capture agent id chunk is not 4 bytes');
        captureAgentId = body.readUInt32BE(0);
        break;
      case CHUNK.payload:
        payload = Buffer.from(body); // a copy: the datagram's buffer is not ours to keep
        break;
      default:
        break;
    }
  }
  if (family !== undefined && family !== 2 && family !== 10) {
    return new Hep3Error(`IP family ${family} is neither 2 (IPv4) nor 10 (IPv6)`);
  }
  if (
    sourceAddress === undefined ||
    destinationAddress === undefined ||
    sourcePort === undefined ||
    destinationPort === undefined
  ) {
    return new Hep3Error('HEP3 packet without both addresses and ports');
  }
  if (seconds === undefined) return new Hep3Error('HEP3 packet without a timestamp');
  if (payload === undefined) return new Hep3Error('HEP3 packet without a payload');
  return {
    ipProtocol: ipProtocol ?? 17,
    source: { address: sourceAddress, port: sourcePort },
    destination: { address: destinationAddress, port: destinationPort },
    time: seconds * 1000 + micros / 1000,
    protocolType: protocolType ?? HEP_PROTOCOL_SIP,
    captureAgentId,
    payload,
  };
}

export interface Hep3Input {
  ipProtocol: number;
  source: { address: string; port: number };
  destination: { address: string; port: number };
  time: number;
  protocolType?: number;
  captureAgentId?: number;
  payload: Buffer;
}

/** Encode a HEP3 packet (IPv4 or IPv6 addresses, as given): for tests and for feeding a Homer server. */
export function encodeHep3(input: Hep3Input): Buffer {
  const chunks: Buffer[] = [];
  const chunk = (type: number, body: Buffer): void => {
    const header = Buffer.alloc(HEADER_LENGTH);
    header.writeUInt16BE(0, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt16BE(HEADER_LENGTH + body.length, 4);
    chunks.push(header, body);
  };
  const u8 = (n: number) => Buffer.from([n]);
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    return b;
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  const v6 = input.source.address.includes(':');
  chunk(CHUNK.ipFamily, u8(v6 ? 10 : 2));
  chunk(CHUNK.ipProtocol, u8(input.ipProtocol));
  chunk(v6 ? CHUNK.ipv6Source : CHUNK.ipv4Source, packAddress(input.source.address));
  chunk(v6 ? CHUNK.ipv6Destination : CHUNK.ipv4Destination, packAddress(input.destination.address));
  chunk(CHUNK.sourcePort, u16(input.source.port));
  chunk(CHUNK.destinationPort, u16(input.destination.port));
  chunk(CHUNK.timestampSeconds, u32(Math.floor(input.time / 1000)));
  chunk(CHUNK.timestampMicroseconds, u32(Math.round((input.time % 1000) * 1000)));
  chunk(CHUNK.protocolType, u8(input.protocolType ?? HEP_PROTOCOL_SIP));
  chunk(CHUNK.captureAgentId, u32(input.captureAgentId ?? 0));
  chunk(CHUNK.payload, input.payload);
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(HEADER_LENGTH);
  header.write('HEP3', 0, 'latin1');
  header.writeUInt16BE(HEADER_LENGTH + body.length, 4);
  return Buffer.concat([header, body]);
}

function formatIpv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  const mapped = groups.slice(0, 6).join(':') === '0:0:0:0:0:ffff';
  if (mapped) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes "::".
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

function packAddress(address: string): Buffer {
  if (!address.includes(':')) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const parts = (s: string) => (s === '' ? [] : s.split(':'));
  const h = parts(head);
  const t = address.includes('::') ? parts(tail) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}
