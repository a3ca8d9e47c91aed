// Caller preferences (RFC 3841) at the CSCF, lab policy of protocol-notes §2 "Caller preferences at the CSCF".
import { type Params, parseParams } from '../sip/params.js';
import { CpmParseError } from './errors.js';
import { decodeFeatureValues } from './feature-tags.js';
import { SIP_INSTANCE_PARAM } from './instance.js';

// RFC 3840 §9 base tags (written without '+'); every '+'-prefixed parameter is a feature tag too.
const BASE_TAGS = new Set([
  'audio',
  'application',
  'data',
  'control',
  'video',
  'text',
  'automata',
  'class',
  'duplex',
  'mobility',
  'description',
  'events',
  'priority',
  'methods',
  'schemes',
  'extensions',
  'isfocus',
  'actor',
  'language',
  'type',
]);

/** A feature set (RFC 3840 §5): lower-case feature name → lower-case decoded values (a flag is `true`). */
export type FeatureSet = Map<string, Set<string>>;

/** One Accept-Contact / Reject-Contact value (RFC 3841 §9.2): feature predicates plus require/explicit. */
export interface CallerPredicate {
  /** Feature name → acceptable values (a value `!x` means "any value but x", RFC 3840 §9). */
  features: Map<string, string[]>;
  require: boolean;
  explicit: boolean;
}

function isFeatureParam(name: string): boolean {
  const lower = name.toLowerCase();
  // +sip.instance identifies the UA instance (RFC 5626 §4.1); it is not a capability to match on.
  if (lower === SIP_INSTANCE_PARAM) return false;
  return lower.startsWith('+') || BASE_TAGS.has(lower);
}

function featureValues(value: string | null): string[] {
  // RFC 3840 §9: a feature parameter without a value is the boolean TRUE.
  if (value === null) return ['true'];
  return decodeFeatureValues(value).map((v) => v.toLowerCase());
}

/** The feature set of a registered contact, from its Contact header parameters. */
export function contactFeatureSet(params: Params): FeatureSet {
  const set: FeatureSet = new Map();
  for (const p of params.list) {
    if (!isFeatureParam(p.name)) continue;
    const name = p.name.toLowerCase();
    const values = set.get(name) ?? new Set<string>();
    for (const v of featureValues(p.value)) values.add(v.replace(/^!/, ''));
    set.set(name, values);
  }
  return set;
}

/**
 * Parse Accept-Contact or Reject-Contact header values: each is `*` followed by parameters, several may be
 * comma-separated (RFC 3841 §9.2). Throws CpmParseError('caller-prefs').
 */
export function parseCallerPreferences(values: string | readonly string[] | undefined): CallerPredicate[] {
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  const out: CallerPredicate[] = [];
  for (const value of list) {
    let i = 0;
    const s = value;
    while (i < s.length) {
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (i >= s.length) break;
      if (s[i] !== '*')
        throw new CpmParseError('caller-prefs', `RFC 3841 §9.2: expected '*' in ${JSON.stringify(s)}`);
      let parsed: ReturnType<typeof parseParams>;
      try {
        parsed = parseParams(s, i + 1, ',');
      } catch (err) {
        throw new CpmParseError('caller-prefs', (err as Error).message);
      }
      out.push(toPredicate(parsed.params));
      i = parsed.end;
      if (s[i] === ',') i++;
      else if (i < s.length) throw new CpmParseError('caller-prefs', `trailing text in ${JSON.stringify(s)}`);
    }
  }
  return out;
}

function toPredicate(params: Params): CallerPredicate {
  const features = new Map<string, string[]>();
  for (const p of params.list) {
    if (!isFeatureParam(p.name)) continue;
    const name = p.name.toLowerCase();
    features.set(name, [...(features.get(name) ?? []), ...featureValues(p.value)]);
  }
  return { features, require: params.has('require'), explicit: params.has('explicit') };
}

/** RFC 3840 §9: one predicate value against the values a contact registered for that feature. */
function valueMatches(wanted: string, have: ReadonlySet<string>): boolean {
  if (wanted.startsWith('!')) {
    const not = wanted.slice(1);
    return [...have].some((v) => v !== not);
  }
  return have.has(wanted);
}

/** Every feature of the predicate is present in the set with a matching value (OR within a feature). */
function matchesExplicitly(set: FeatureSet, pred: CallerPredicate): boolean {
  for (const [name, wanted] of pred.features) {
    const have = set.get(name);
    if (!have || !wanted.some((w) => valueMatches(w, have))) return false;
  }
  return true;
}

/**
 * protocol-notes §2 step 2: a `require` predicate keeps a contact unless it lacks a value the predicate asks
 * for. Without `explicit`, a feature the contact did not register at all does not count against it; with
 * `explicit`, only explicitly registered features count (RFC 3841 §7.2.4).
 */
function satisfiesRequired(set: FeatureSet, pred: CallerPredicate): boolean {
  for (const [name, wanted] of pred.features) {
    const have = set.get(name);
    if (!have) {
      if (pred.explicit) return false;
      continue;
    }
    if (!wanted.some((w) => valueMatches(w, have))) return false;
  }
  return true;
}

export interface CallerPreferenceHeaders {
  /** Accept-Contact header values (one string per header field or already split). */
  acceptContact?: string | readonly string[];
  /** Reject-Contact header values. */
  rejectContact?: string | readonly string[];
}

/**
 * The contacts a request may be forked to (protocol-notes §2, RFC 3841 §7.2): contacts failing a `require`
 * Accept-Contact are dropped, contacts explicitly matching a Reject-Contact are removed (RFC 3841 §7.2.3),
 * the rest are returned in their original order. No Accept-Contact: all (minus rejected). Accept-Contact
 * predicates without `require` do not filter (RFC 3841 §7.2.4 scoring/ordering is not implemented: the lab
 * forks in parallel). An empty result means the caller should answer 480.
 * Each contact's feature set comes from its Contact header parameters (`params`, a sip Params).
 * Throws CpmParseError('caller-prefs') on malformed header values.
 */
export function selectContacts<T extends { params: Params }>(
  contacts: readonly T[],
  headers: CallerPreferenceHeaders,
): T[] {
  const required = parseCallerPreferences(headers.acceptContact).filter((p) => p.require);
  const rejects = parseCallerPreferences(headers.rejectContact);
  return contacts.filter((c) => {
    const set = contactFeatureSet(c.params);
    return (
      required.every((p) => satisfiesRequired(set, p)) && !rejects.some((p) => matchesExplicitly(set, p))
    );
  });
}
