// Generic parameters (RFC 3261 §25.1 generic-param; RFC 3840 feature parameters use the same shape).
import { SipParseError } from './errors.js';

export interface Param {
  name: string;
  /** Unquoted, unescaped value; `null` for a flag parameter such as `;lr` or `;rport`. */
  value: string | null;
  /** Whether the value was (or should be) written as a quoted-string. */
  quoted: boolean;
}

/** Ordered parameter list with case-insensitive names, as they appear after `;`. */
export class Params {
  readonly list: Param[];

  constructor(list: Param[] = []) {
    this.list = list;
  }

  #find(name: string): number {
    const lower = name.toLowerCase();
    return this.list.findIndex((p) => p.name.toLowerCase() === lower);
  }

  has(name: string): boolean {
    return this.#find(name) >= 0;
  }

  /** The value of `name`: a string, `null` for a flag, `undefined` if absent. */
  get(name: string): string | null | undefined {
    const i = this.#find(name);
    return i >= 0 ? this.list[i]!.value : undefined;
  }

  set(name: string, value: string | null = null, quoted = false): this {
    const i = this.#find(name);
    const param: Param = { name, value, quoted };
    if (i >= 0) this.list[i] = param;
    else this.list.push(param);
    return this;
  }

  delete(name: string): this {
    const i = this.#find(name);
    if (i >= 0) this.list.splice(i, 1);
    return this;
  }

  clone(): Params {
    return new Params(this.list.map((p) => ({ ...p })));
  }

  /** `;name=value;flag;q="quoted"` — empty string when there are no parameters. */
  toString(): string {
    let out = '';
    for (const p of this.list) {
      out += ';' + p.name;
      if (p.value !== null) out += '=' + (p.quoted ? quoteString(p.value) : p.value);
    }
    return out;
  }
}

export function quoteString(value: string): string {
  return '"' + value.replace(/(["\\])/g, '\\$1') + '"';
}

/** Read a quoted-string starting at `s[start] === '"'`; returns the unescaped value and the index after it. */
export function readQuoted(s: string, start: number): { value: string; end: number } {
  let value = '';
  for (let i = start + 1; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\') {
      if (i + 1 >= s.length) break;
      value += s[++i];
    } else if (ch === '"') {
      return { value, end: i + 1 };
    } else {
      value += ch;
    }
  }
  throw new SipParseError('params', 'unterminated quoted string');
}

/**
 * Parse `;a=b;c;d="x;y"` from `s` at `start` (which must point at `;` or the end) until `stop`
 * characters (default: end of string). Returns the parameters and the index where parsing stopped.
 */
export function parseParams(s: string, start: number, stop = ''): { params: Params; end: number } {
  const params = new Params();
  let i = start;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= n || stop.includes(s[i]!)) break;
    if (s[i] !== ';') throw new SipParseError('params', `expected ';' at ${i} in ${JSON.stringify(s)}`);
    i++;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let j = i;
    while (j < n && !'=;, \t'.includes(s[j]!) && !stop.includes(s[j]!)) j++;
    const name = s.slice(i, j);
    if (!name) throw new SipParseError('params', `empty parameter name in ${JSON.stringify(s)}`);
    i = j;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    if (s[i] === '=') {
      i++;
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      if (s[i] === '"') {
        const q = readQuoted(s, i);
        params.list.push({ name, value: q.value, quoted: true });
        i = q.end;
      } else {
        let k = i;
        while (k < n && !';, \t'.includes(s[k]!) && !stop.includes(s[k]!)) k++;
        params.list.push({ name, value: s.slice(i, k), quoted: false });
        i = k;
      }
    } else {
      params.list.push({ name, value: null, quoted: false });
    }
  }
  return { params, end: i };
}
