import { describe, expect, it } from 'vitest';
import { decodeHep3, encodeHep3, Hep3Error } from './hep3.js';

const sip = Buffer.from('OPTIONS sip:pf@ims.lab SIP/2.0\r\nContent-Length: 0\r\n\r\n');

/** A UDP SIP packet between two loopback ports. */
const loopbackPacket = () =>
  encodeHep3({
    ipProtocol: 17,
    source: { address: '127.0.0.1', port: 1 },
    destination: { address: '127.0.0.1', port: 2 },
    time: 0,
    payload: sip,
  });

describe('HEP3 (sipcapture.org HEP3 specification)', () => {
  it('round-trips an IPv4 TCP SIP packet with a microsecond timestamp', () => {
    const time = 1_764_900_000_123.456;
    const packet = decodeHep3(
      encodeHep3({
        ipProtocol: 6,
        source: { address: '127.0.0.1', port: 5070 },
        destination: { address: '10.0.0.2', port: 41234 },
        time,
        captureAgentId: 101,
        payload: sip,
      }),
    );
    expect(packet).not.toBeInstanceOf(Hep3Error);
    if (packet instanceof Hep3Error) return;
    expect(packet.ipProtocol).toBe(6);
    expect(packet.source).toEqual({ address: '127.0.0.1', port: 5070 });
    expect(packet.destination).toEqual({ address: '10.0.0.2', port: 41234 });
    expect(packet.time).toBeCloseTo(time, 3);
    expect(packet.captureAgentId).toBe(101);
    expect(packet.payload.equals(sip)).toBe(true);
  });

  it('reads IPv6 addresses in RFC 5952 form', () => {
    const packet = decodeHep3(
      encodeHep3({
        ipProtocol: 17,
        source: { address: '2001:db8::1', port: 5060 },
        destination: { address: '::1', port: 5070 },
        time: 1000,
        payload: sip,
      }),
    );
    if (packet instanceof Hep3Error) throw packet;
    expect(packet.source.address).toBe('2001:db8::1');
    expect(packet.destination.address).toBe('::1');
  });

  it('skips chunks of other vendors (HEP3 is extensible)', () => {
    const base = loopbackPacket();
    const vendorChunk = Buffer.from([0x00, 0x21, 0x00, 0x01, 0x00, 0x08, 0xab, 0xcd]);
    const packet = Buffer.concat([base, vendorChunk]);
    packet.writeUInt16BE(packet.length, 4);
    expect(decodeHep3(packet)).not.toBeInstanceOf(Hep3Error);
  });

  it('returns an error, never throws, for truncated or lying packets', () => {
    const good = loopbackPacket();
    expect(decodeHep3(Buffer.from('HEP2'))).toBeInstanceOf(Hep3Error);
    for (let cut = 0; cut < good.length; cut++) {
      expect(decodeHep3(good.subarray(0, cut))).toBeInstanceOf(Hep3Error);
    }
    const lying = Buffer.from(good);
    lying.writeUInt16BE(0xffff, 10); // first chunk claims 65,535 bytes
    expect(decodeHep3(lying)).toBeInstanceOf(Hep3Error);
    const tiny = Buffer.from(good);
    tiny.writeUInt16BE(2, 10); // a chunk shorter than its own header
    expect(decodeHep3(tiny)).toBeInstanceOf(Hep3Error);
    for (let i = 0; i < 2000; i++) {
      const noise = Buffer.from(good);
      noise[6 + Math.floor(Math.random() * (noise.length - 6))] = Math.floor(Math.random() * 256);
      expect(() => decodeHep3(noise)).not.toThrow();
    }
  });
});
