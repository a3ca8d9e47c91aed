// SDP for MSRP sessions (RFC 4975 §8, RFC 4566) built and read with sdp-transform.
import { randomInt } from 'node:crypto';
import sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { SdpParseError } from './errors.js';

/** RFC 3264 §5.1 direction attributes. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
/** RFC 4145 §4 setup roles used by MSRP (RFC 6135 §4.2). */
export type SetupRole = 'active' | 'passive' | 'actpass';
/** RFC 4975 §8.1 / RFC 4976 transports. */
export type MsrpTransport = 'TCP/MSRP' | 'TCP/TLS/MSRP';

export interface MsrpMediaDescription {
  /** Connection address (`c=`), media level or else session level. */
  address: string;
  port: number;
  transport: MsrpTransport;
  /** RFC 4975 §8.2 `a=path`: MSRP URIs, the peer's own URI last. */
  path: string[];
  /** RFC 4975 §8.6 `a=accept-types`. */
  acceptTypes: string[];
  /** RFC 4975 §8.6 `a=accept-wrapped-types`; [] when absent. */
  acceptWrappedTypes: string[];
  /** RFC 4145 §4 `a=setup`; undefined when absent. */
  setup?: SetupRole;
  /** RFC 4975 §8.7 `a=max-size` in octets. */
  maxSize?: number;
  /** Media-level, else session-level direction; sendrecv when absent (RFC 3264 §5.1). */
  direction: Direction;
}

export interface SdpSessionOptions {
  /** `o=` sess-id (digits); random when absent. */
  sessionId?: string | number;
  /** `o=` sess-version, default 1; bump it in a re-offer (RFC 3264 §8). */
  sessionVersion?: number;
  /** `o=` username, default `-`. */
  username?: string;
  /** `o=` unicast address, default the connection address. */
  originAddress?: string;
  /** `s=`, default `-`. */
  sessionName?: string;
}

export const DEFAULT_MAX_SDP_BYTES = 64 * 1024;

const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const SETUPS: readonly SetupRole[] = ['active', 'passive', 'actpass'];
const MSRP_URI_RE = /^msrps?:\/\/[^\s/]+\/[^\s;]+;[A-Za-z0-9]+$/i;
// RFC 4975 §8.6: `*` or type/subtype or type/*.
const ACCEPT_TYPE_RE = /^(\*|[!#$%&'*+\-.^_`|~0-9A-Za-z]+\/(\*|[!#$%&'*+\-.^_`|~0-9A-Za-z]+))$/;

function ipVersion(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** Write an SDP with one `m=message <port> TCP/MSRP *` section. */
export function buildMsrpSdp(desc: MsrpMediaDescription, opts: SdpSessionOptions = {}): string {
  if (desc.path.length === 0)
    throw new SdpParseError('missing-attribute', 'RFC 4975 §8.2: a=path is required');
  const invalid: Array<{ value: string }> = [{ value: `path:${desc.path.join(' ')}` }];
  if (desc.acceptTypes.length > 0) invalid.push({ value: `accept-types:${desc.acceptTypes.join(' ')}` });
  if (desc.acceptWrappedTypes.length > 0) {
    invalid.push({ value: `accept-wrapped-types:${desc.acceptWrappedTypes.join(' ')}` });
  }
  if (desc.maxSize !== undefined) invalid.push({ value: `max-size:${desc.maxSize}` });
  const media: MediaDescription = {
    type: 'message',
    port: desc.port,
    protocol: desc.transport,
    payloads: '*',
    rtp: [],
    fmtp: [],
    direction: desc.direction,
    invalid,
  };
  if (desc.setup) media.setup = desc.setup;
  const originAddress = opts.originAddress ?? desc.address;
  const session: SessionDescription = {
    version: 0,
    origin: {
      username: opts.username ?? '-',
      sessionId: opts.sessionId ?? String(randomInt(1, 2 ** 47)),
      sessionVersion: opts.sessionVersion ?? 1,
      netType: 'IN',
      ipVer: ipVersion(originAddress),
      address: originAddress,
    },
    name: opts.sessionName ?? '-',
    connection: { version: ipVersion(desc.address), ip: desc.address },
    timing: { start: 0, stop: 0 },
    media: [media],
  };
  return sdpTransform.write(session);
}

/** Read the first MSRP media section of an SDP body (RFC 4975 §8). Throws SdpParseError. */
export function parseMsrpSdp(input: string | Buffer, maxBytes = DEFAULT_MAX_SDP_BYTES): MsrpMediaDescription {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) throw new SdpParseError('too-large', `SDP of ${size} bytes exceeds ${maxBytes}`);
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  // RFC 4566 §5: every line is `<type>=<value>`, starting with v=0; sdp-transform skips bad lines silently.
  if (lines[0] !== 'v=0') throw new SdpParseError('malformed', 'RFC 4566 §5.1: SDP must start with v=0');
  const bad = lines.find((l) => !/^[a-z]=/.test(l));
  if (bad !== undefined) throw new SdpParseError('malformed', `RFC 4566 §5: bad line ${JSON.stringify(bad)}`);
  const session = sdpTransform.parse(text);
  if (!session.origin) throw new SdpParseError('malformed', 'RFC 4566 §5.2: missing or bad o= line');
  const media = session.media.find(
    (m) => m.type === 'message' && /^TCP\/(TLS\/)?MSRP$/i.test(String(m.protocol)),
  );
  if (!media) throw new SdpParseError('no-msrp-media', 'RFC 4975 §8.1: no m=message TCP/MSRP section');
  if (typeof media.port !== 'number' || !Number.isInteger(media.port) || media.port > 65535) {
    throw new SdpParseError('malformed', `bad m=message port ${JSON.stringify(media.port)}`);
  }
  const connection = media.connection ?? session.connection;
  if (!connection?.ip) throw new SdpParseError('malformed', 'RFC 4566 §5.7: no c= line');
  const attrs = new Map<string, string>();
  for (const { value } of media.invalid ?? []) {
    const colon = value.indexOf(':');
    const name = (colon >= 0 ? value.slice(0, colon) : value).toLowerCase();
    if (!attrs.has(name)) attrs.set(name, colon >= 0 ? value.slice(colon + 1).trim() : '');
  }
  const desc: MsrpMediaDescription = {
    address: connection.ip,
    port: media.port,
    transport: String(media.protocol).toUpperCase() as MsrpTransport,
    path: readPath(attrs.get('path')),
    acceptTypes: readTypes(attrs.get('accept-types'), 'accept-types'),
    acceptWrappedTypes: readTypes(attrs.get('accept-wrapped-types') ?? '', 'accept-wrapped-types'),
    direction: readDirection(media.direction ?? session.direction),
  };
  const setup = media.setup ?? session.setup;
  if (setup !== undefined) {
    if (!(SETUPS as readonly string[]).includes(setup)) {
      throw new SdpParseError('bad-attribute', `RFC 4145 §4: unsupported a=setup:${setup}`);
    }
    desc.setup = setup as SetupRole;
  }
  const maxSize = attrs.get('max-size');
  if (maxSize !== undefined) {
    if (!/^\d{1,15}$/.test(maxSize))
      throw new SdpParseError('bad-attribute', `RFC 4975 §8.7: bad max-size ${maxSize}`);
    desc.maxSize = Number(maxSize);
  }
  return desc;
}

function readPath(value: string | undefined): string[] {
  if (value === undefined) throw new SdpParseError('missing-attribute', 'RFC 4975 §8.2: a=path is required');
  const uris = value.split(/\s+/).filter(Boolean);
  const bad = uris.find((u) => !MSRP_URI_RE.test(u));
  if (uris.length === 0 || bad !== undefined) {
    throw new SdpParseError('bad-attribute', `RFC 4975 §9: bad MSRP URI in a=path:${value}`);
  }
  return uris;
}

function readTypes(value: string | undefined, name: string): string[] {
  if (value === undefined)
    throw new SdpParseError('missing-attribute', `RFC 4975 §8.6: a=${name} is required`);
  const types = value.split(/\s+/).filter(Boolean);
  const bad = types.find((t) => !ACCEPT_TYPE_RE.test(t));
  if (bad !== undefined)
    throw new SdpParseError('bad-attribute', `RFC 4975 §8.6: bad type ${bad} in a=${name}`);
  return types;
}

function readDirection(value: string | undefined): Direction {
  if (value === undefined) return 'sendrecv';
  if (!(DIRECTIONS as readonly string[]).includes(value)) {
    throw new SdpParseError('bad-attribute', `RFC 3264 §5.1: bad direction ${value}`);
  }
  return value as Direction;
}
