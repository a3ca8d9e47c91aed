// Via header field (RFC 3261 §20.42, §18.2.1 received; RFC 3581 rport).
import { SipParseError } from './errors.js';
import { Params, parseParams } from './params.js';
import { parseHostPort } from './uri.js';

/** RFC 3261 §8.1.1.7: branch IDs of RFC 3261 transactions start with this cookie. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

export interface Via {
  protocol: string; // 'SIP/2.0'
  transport: string; // 'UDP', 'TCP', 'TLS', 'WS'... upper case
  host: string;
  port?: number;
  params: Params;
}

export function parseVia(text: string): Via {
  const s = text.trim();
  // sent-protocol: SIP / 2.0 / UDP (LWS allowed around the slashes)
  const m =
    /^([A-Za-z0-9.!%*_+`'~-]+)\s*\/\s*([A-Za-z0-9.!%*_+`'~-]+)\s*\/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+/.exec(s);
  if (!m) throw new SipParseError('via', `bad sent-protocol in Via ${JSON.stringify(s)}`);
  const rest = s.slice(m[0].length);
  const semi = rest.indexOf(';');
  const hostport = (semi >= 0 ? rest.slice(0, semi) : rest).trim();
  let hp: { host: string; port?: number };
  try {
    hp = parseHostPort(hostport, s);
  } catch {
    throw new SipParseError('via', `bad sent-by in Via ${JSON.stringify(s)}`);
  }
  let params = new Params();
  if (semi >= 0) {
    try {
      params = parseParams(rest, semi).params;
    } catch (err) {
      throw new SipParseError('via', (err as Error).message);
    }
  }
  const via: Via = {
    protocol: `${m[1]!.toUpperCase()}/${m[2]}`,
    transport: m[3]!.toUpperCase(),
    host: hp.host,
    params,
  };
  if (hp.port !== undefined) via.port = hp.port;
  return via;
}

export function formatVia(via: Via): string {
  const port = via.port !== undefined ? ':' + via.port : '';
  return `${via.protocol}/${via.transport} ${via.host}${port}${via.params.toString()}`;
}

export function viaBranch(via: Via): string | undefined {
  const b = via.params.get('branch');
  return typeof b === 'string' ? b : undefined;
}
