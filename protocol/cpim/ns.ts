// CPIM header namespaces (RFC 3862 §3.3.7 NS, §3.4 header name prefixes).
import { CpimParseError } from './errors.js';

/** Namespace of the core CPIM headers (RFC 3862 §3.3). */
export const CPIM_HEADERS_NS = 'urn:ietf:params:cpim-headers:';
/** Namespace of the imdn.* headers (RFC 5438 §9.1). */
export const IMDN_NS = 'urn:ietf:params:imdn';

export interface NsDeclaration {
  /** The prefix, '' for a declaration of the default namespace. */
  prefix: string;
  urn: string;
}

/** Parse an NS value: `imdn <urn:ietf:params:imdn>` or `<urn>`. Throws CpimParseError('ns'). */
export function parseNs(value: string): NsDeclaration {
  const m = /^([A-Za-z0-9!#$%&'*+\-^_`|~]*)\s*<([^<>\s]+)>$/.exec(value.trim());
  if (!m) throw new CpimParseError('ns', `bad NS value ${JSON.stringify(value)}`);
  return { prefix: m[1]!, urn: m[2]! };
}

export function formatNs(decl: NsDeclaration): string {
  return decl.prefix ? `${decl.prefix} <${decl.urn}>` : `<${decl.urn}>`;
}

export interface ResolvedName {
  /** The namespace URN the header belongs to; undefined when its prefix was never declared. */
  ns: string | undefined;
  local: string;
}

/**
 * Resolve a header name through the message's NS declarations. All declarations in the message are used,
 * later ones winning, so a sender that declares a prefix after using it is tolerated.
 */
export function resolveHeaderName(name: string, bindings: ReadonlyMap<string, string>): ResolvedName {
  const dot = name.indexOf('.');
  if (dot < 0) return { ns: bindings.get('') ?? CPIM_HEADERS_NS, local: name };
  return { ns: bindings.get(name.slice(0, dot).toLowerCase()), local: name.slice(dot + 1) };
}

/** URNs compare case-insensitively here (RFC 8141 §3.1 for the NID; lab tolerance for the rest). */
export function sameNamespace(a: string | undefined, b: string): boolean {
  // Usually the very text: no lowercase copies then (this runs for every header of every message).
  if (a === b) return true;
  return a !== undefined && a.length === b.length && a.toLowerCase() === b.toLowerCase();
}
