// Feature tag values (RFC 3840 §9): percent-encoded, comma-separated inside one quoted parameter value.
import type { Params } from '../sip/params.js';
import { ICSI_REF_TAG } from './icsi.js';

// Characters kept literally in an encoded value (token characters other than '%'); everything else is %XX.
const KEEP_RE = /[A-Za-z0-9\-._~!*+'`]/;

/** Percent-encode one value: `urn:urn-7:x` → `urn%3Aurn-7%3Ax`. */
export function encodeFeatureValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && KEEP_RE.test(ch) ? ch : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Percent-decode; malformed escapes are left as written. */
export function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  }
}

/** Several values as one parameter value (unquoted form): `urn%3A...a,urn%3A...b`. */
export function encodeFeatureValues(values: readonly string[]): string {
  return values.map(encodeFeatureValue).join(',');
}

/**
 * The values of a feature parameter (protocol-notes §2): split on commas, trimmed, `<...>` string-value
 * brackets removed (RFC 3840 §9), percent-decoded. A literal, unencoded URN comes back unchanged.
 */
export function decodeFeatureValues(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => percentDecode(v.startsWith('<') && v.endsWith('>') ? v.slice(1, -1) : v));
}

/** `+g.3gpp.icsi-ref="urn%3Aurn-7%3A...,urn%3Aurn-7%3A..."` — one parameter, never repeated. */
export function formatIcsiRefParam(icsis: readonly string[]): string {
  return `${ICSI_REF_TAG}="${encodeFeatureValues(icsis)}"`;
}

/** Set (replace) the ICSI feature tag on Contact / Accept-Contact parameters. */
export function setIcsiRef(params: Params, icsis: readonly string[]): Params {
  return params.set(ICSI_REF_TAG, encodeFeatureValues(icsis), true);
}

/** The decoded ICSIs of a parameter list; [] when the tag is absent or a flag. */
export function icsiRefs(params: Params): string[] {
  const v = params.get(ICSI_REF_TAG);
  return typeof v === 'string' ? decodeFeatureValues(v) : [];
}

/** Does the parameter list carry `icsi` (case-insensitive, after decoding)? */
export function hasIcsi(params: Params, icsi: string): boolean {
  const want = icsi.toLowerCase();
  return icsiRefs(params).some((v) => v.toLowerCase() === want);
}

/** An Accept-Contact value for ICSIs (RFC 3841 §9.2): `*;+g.3gpp.icsi-ref="...";require;explicit`. */
export function formatAcceptContact(
  icsis: readonly string[],
  opts: { require?: boolean; explicit?: boolean } = {},
): string {
  return `*;${formatIcsiRefParam(icsis)}${opts.require ? ';require' : ''}${opts.explicit ? ';explicit' : ''}`;
}
