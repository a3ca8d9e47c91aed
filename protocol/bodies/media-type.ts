// Media types with parameters: RFC 2045 §5.1 Content-Type, also used by Content-Disposition (RFC 2183 §2).
import { Params, parseParams } from '../sip/params.js';
import { BodyParseError } from './errors.js';

export interface MediaType {
  /** Lower-case `type/subtype`. */
  type: string;
  params: Params;
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Parse `type/subtype;param=value`. Throws BodyParseError('media-type'). */
export function parseMediaType(text: string): MediaType {
  const s = text.trim();
  const semi = s.indexOf(';');
  const full = (semi >= 0 ? s.slice(0, semi) : s).trim();
  const [type, subtype, extra] = full.split('/');
  if (!type || !subtype || extra !== undefined || !TOKEN_RE.test(type) || !TOKEN_RE.test(subtype)) {
    throw new BodyParseError('media-type', `bad media type ${JSON.stringify(text)}`);
  }
  return { type: `${type}/${subtype}`.toLowerCase(), params: parseParamsOrThrow(s, semi) };
}

export function formatMediaType(mt: MediaType): string {
  return mt.type + mt.params.toString();
}

/** Content-Disposition (RFC 2183 §2): `disposition-type *(; param)`. */
export interface Disposition {
  /** Lower-case disposition type: `notification`, `recipient-list`, `render`... */
  type: string;
  params: Params;
}

export function parseDisposition(text: string): Disposition {
  const s = text.trim();
  const semi = s.indexOf(';');
  const type = (semi >= 0 ? s.slice(0, semi) : s).trim();
  if (!TOKEN_RE.test(type)) throw new BodyParseError('media-type', `bad disposition ${JSON.stringify(text)}`);
  return { type: type.toLowerCase(), params: parseParamsOrThrow(s, semi) };
}

function parseParamsOrThrow(s: string, semi: number): Params {
  if (semi < 0) return new Params();
  try {
    const { params, end } = parseParams(s, semi);
    if (end !== s.length) throw new BodyParseError('media-type', `trailing text in ${JSON.stringify(s)}`);
    return params;
  } catch (err) {
    if (err instanceof BodyParseError) throw err;
    throw new BodyParseError('media-type', err instanceof Error ? err.message : String(err));
  }
}
