// CPIM From / To / cc values (RFC 3862 §3.3.1-§3.3.3): `[Formal-name] "<" URI ">"`.
import { CpimParseError } from './errors.js';

export interface CpimAddress {
  displayName?: string;
  /** The URI inside the angle brackets, as written (`sip:bob@ims.lab`, `im:bob@example.com`...). */
  uri: string;
}

const TOKEN_NAME_RE = /^[A-Za-z0-9\-.!%*_+`'~ ]+$/;
const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"]+$/;

/** Parse a From/To/cc value. A bare URI without `<>` is tolerated on input. Throws CpimParseError('address'). */
export function parseCpimAddress(value: string): CpimAddress {
  const s = value.trim();
  const lt = s.lastIndexOf('<');
  if (lt < 0) {
    if (!URI_RE.test(s)) throw new CpimParseError('address', `bad CPIM address ${JSON.stringify(value)}`);
    return { uri: s };
  }
  if (!s.endsWith('>')) throw new CpimParseError('address', `missing '>' in ${JSON.stringify(value)}`);
  const uri = s.slice(lt + 1, -1).trim();
  if (!URI_RE.test(uri)) throw new CpimParseError('address', `bad URI in ${JSON.stringify(value)}`);
  let name = s.slice(0, lt).trim();
  if (name.startsWith('"')) {
    if (name.length < 2 || !name.endsWith('"')) {
      throw new CpimParseError('address', `unterminated display name in ${JSON.stringify(value)}`);
    }
    name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return name ? { displayName: name, uri } : { uri };
}

/** Always writes `<uri>`, with the display name quoted when it is not a plain token sequence. */
export function formatCpimAddress(addr: CpimAddress): string {
  const uri = `<${addr.uri}>`;
  if (!addr.displayName) return uri;
  const name = TOKEN_NAME_RE.test(addr.displayName)
    ? addr.displayName
    : '"' + addr.displayName.replace(/(["\\])/g, '\\$1') + '"';
  return `${name} ${uri}`;
}
