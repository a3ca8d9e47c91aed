// name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route, Refer-To,
// Referred-By, P-Asserted-Identity (RFC 3261 §20.10, §20.20, §20.39, §25.1).
import { SipParseError } from './errors.js';
import { Params, parseParams, quoteString, readQuoted } from './params.js';
import { formatUri, parseUri, type Uri } from './uri.js';

export interface NameAddr {
  displayName?: string;
  uri: Uri;
  /** Header parameters (after the URI): tag, expires, q, feature tags, lr when outside <>... */
  params: Params;
}

/** Parse one name-addr or addr-spec with parameters. Throws SipParseError('name-addr'). */
export function parseNameAddr(text: string): NameAddr {
  const s = text.trim();
  try {
    let i = 0;
    let displayName: string | undefined;
    if (s[0] === '"') {
      const q = readQuoted(s, 0);
      displayName = q.value;
      i = q.end;
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] !== '<') throw new SipParseError('name-addr', `expected '<' after display name in ${s}`);
    }
    let uriText: string;
    let rest: number;
    const lt = s.indexOf('<', i);
    if (lt >= 0) {
      const token = s.slice(i, lt).trim();
      if (token) displayName = token;
      const gt = s.indexOf('>', lt);
      if (gt < 0) throw new SipParseError('name-addr', `missing '>' in ${JSON.stringify(s)}`);
      uriText = s.slice(lt + 1, gt);
      rest = gt + 1;
    } else {
      // addr-spec: parameters after the URI are header parameters (RFC 3261 §20.10), so stop at ';'.
      const semi = s.indexOf(';', i);
      uriText = semi >= 0 ? s.slice(i, semi) : s.slice(i);
      rest = semi >= 0 ? semi : s.length;
    }
    const uri = parseUri(uriText);
    const { params, end } = parseParams(s, rest);
    if (end !== s.length) throw new SipParseError('name-addr', `trailing text in ${JSON.stringify(s)}`);
    const out: NameAddr = { uri, params };
    if (displayName !== undefined) out.displayName = displayName;
    return out;
  } catch (err) {
    if (err instanceof SipParseError && err.code !== 'name-addr') {
      throw new SipParseError('name-addr', err.message);
    }
    throw err;
  }
}

/** Always writes the name-addr form (`<uri>`), which is safe for URIs with parameters. */
export function formatNameAddr(na: NameAddr): string {
  let out = '';
  if (na.displayName !== undefined && na.displayName !== '') {
    out += /^[A-Za-z0-9\-.!%*_+`'~ ]+$/.test(na.displayName)
      ? na.displayName + ' '
      : quoteString(na.displayName) + ' ';
  }
  return out + '<' + formatUri(na.uri) + '>' + na.params.toString();
}

export function nameAddr(uri: Uri, params: Params = new Params(), displayName?: string): NameAddr {
  const na: NameAddr = { uri, params };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}
