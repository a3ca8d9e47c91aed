import { describe, expect, it } from 'vitest';
import { type Params, parseParams } from '../sip/params.js';
import { contactFeatureSet, parseCallerPreferences, selectContacts } from './caller-prefs.js';
import { CpmParseError } from './errors.js';
import { formatAcceptContact, formatIcsiRefParam } from './feature-tags.js';
import { CPM_ICSIS, ICSI_CPM_DEFERRED, ICSI_CPM_LARGEMSG, ICSI_CPM_MSG, ICSI_CPM_SESSION } from './icsi.js';

const enc = (s: string): string => s.replaceAll(':', '%3A');
const params = (text: string): Params => parseParams(text, 0).params;

interface Contact {
  id: string;
  params: Params;
}

// Registered contacts, Contact header parameters as the CSCF stored them.
const CONTACTS: Contact[] = [
  { id: 'all', params: params(`;${formatIcsiRefParam(CPM_ICSIS)};+sip.instance="<urn:uuid:1>"`) },
  { id: 'session+msg', params: params(`;${formatIcsiRefParam([ICSI_CPM_SESSION, ICSI_CPM_MSG])}`) },
  { id: 'bare', params: params(';expires=3600') },
  { id: 'largemsg', params: params(`;+g.3gpp.icsi-ref="${enc(ICSI_CPM_LARGEMSG)}"`) },
  { id: 'focus', params: params(`;isfocus;+g.3gpp.icsi-ref="${enc(ICSI_CPM_SESSION)}"`) },
  { id: 'literal', params: params(`;+g.3gpp.icsi-ref="${ICSI_CPM_DEFERRED}"`) },
];

const DEFERRED_ENC = `"${enc(ICSI_CPM_DEFERRED)}"`;

const CASES: Array<
  [name: string, accept: string[] | undefined, reject: string[] | undefined, ids: string[]]
> = [
  [
    'no Accept-Contact → all contacts',
    undefined,
    undefined,
    ['all', 'session+msg', 'bare', 'largemsg', 'focus', 'literal'],
  ],
  [
    'require;explicit drops contacts lacking the value, including those without the tag',
    [`*;+g.3gpp.icsi-ref=${DEFERRED_ENC};require;explicit`],
    undefined,
    ['all', 'literal'],
  ],
  [
    'require without explicit keeps contacts that did not register the tag at all',
    [`*;+g.3gpp.icsi-ref=${DEFERRED_ENC};require`],
    undefined,
    ['all', 'bare', 'literal'],
  ],
  [
    'no require → no filtering',
    [`*;+g.3gpp.icsi-ref=${DEFERRED_ENC}`],
    undefined,
    ['all', 'session+msg', 'bare', 'largemsg', 'focus', 'literal'],
  ],
  [
    'comma-separated values in one quoted parameter are alternatives',
    [`*;+g.3gpp.icsi-ref="${enc(ICSI_CPM_DEFERRED)},${enc(ICSI_CPM_LARGEMSG)}";require;explicit`],
    undefined,
    ['all', 'largemsg', 'literal'],
  ],
  [
    'literal (unencoded) URN tolerated, quoted',
    [`*;+g.3gpp.icsi-ref="${ICSI_CPM_DEFERRED}";require;explicit`],
    undefined,
    ['all', 'literal'],
  ],
  [
    'literal (unencoded) URN tolerated, unquoted',
    [`*;+g.3gpp.icsi-ref=${ICSI_CPM_DEFERRED};require;explicit`],
    undefined,
    ['all', 'literal'],
  ],
  [
    'values compare case-insensitively after percent-decoding',
    [`*;+G.3GPP.ICSI-REF="${ICSI_CPM_DEFERRED.toUpperCase().replaceAll(':', '%3a')}";require;explicit`],
    undefined,
    ['all', 'literal'],
  ],
  [
    'Reject-Contact removes matching contacts',
    undefined,
    [`*;+g.3gpp.icsi-ref="${enc(ICSI_CPM_LARGEMSG)}"`],
    ['session+msg', 'bare', 'focus', 'literal'],
  ],
  [
    'Reject-Contact with a boolean tag',
    undefined,
    ['*;isfocus'],
    ['all', 'session+msg', 'bare', 'largemsg', 'literal'],
  ],
  [
    'Accept-Contact and Reject-Contact together',
    [`*;+g.3gpp.icsi-ref="${enc(ICSI_CPM_SESSION)}";require;explicit`],
    ['*;isfocus'],
    ['all', 'session+msg'],
  ],
  [
    'several features in one predicate must all match',
    [`*;+g.3gpp.icsi-ref="${enc(ICSI_CPM_SESSION)}";isfocus;require;explicit`],
    undefined,
    ['focus'],
  ],
  [
    'two comma-separated require predicates in one header both apply',
    [
      `*;+g.3gpp.icsi-ref="${enc(ICSI_CPM_SESSION)}";require;explicit, *;+g.3gpp.icsi-ref="${enc(ICSI_CPM_MSG)}";require;explicit`,
    ],
    undefined,
    ['all', 'session+msg'],
  ],
  [
    'separate header fields apply too',
    [`*;+g.3gpp.icsi-ref="${enc(ICSI_CPM_MSG)}";require;explicit`, '*;isfocus;require;explicit'],
    undefined,
    [],
  ],
  [
    'negated value (RFC 3840 §9 "!")',
    ['*;isfocus="!TRUE";require'],
    undefined,
    ['all', 'session+msg', 'bare', 'largemsg', 'literal'],
  ],
];

describe('caller preferences at the CSCF (protocol-notes §2, RFC 3841 §7.2)', () => {
  it.each(CASES)('protocol-notes §2: %s', (_name, accept, reject, ids) => {
    const selected = selectContacts(CONTACTS, { acceptContact: accept, rejectContact: reject });
    expect(selected.map((c) => c.id)).toEqual(ids);
  });

  it('protocol-notes §4: the deferred INVITE Accept-Contact reaches a client registered with all four ICSIs', () => {
    const ac = formatAcceptContact([ICSI_CPM_DEFERRED], { require: true, explicit: true });
    expect(ac).toBe(
      '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred";require;explicit',
    );
    expect(selectContacts(CONTACTS, { acceptContact: ac }).map((c) => c.id)).toEqual(['all', 'literal']);
  });

  it('RFC 3840 §9: +sip.instance is not part of the feature set; flags are TRUE', () => {
    const set = contactFeatureSet(CONTACTS[4]!.params);
    expect(set.get('isfocus')).toEqual(new Set(['true']));
    expect(contactFeatureSet(CONTACTS[0]!.params).has('+sip.instance')).toBe(false);
    expect(contactFeatureSet(CONTACTS[0]!.params).get('+g.3gpp.icsi-ref')?.size).toBe(4);
  });

  it('RFC 3841 §9.2: malformed Accept-Contact values are typed errors', () => {
    for (const bad of ['sip:x', '*;a="unterminated', '*;require junk']) {
      expect(() => parseCallerPreferences(bad)).toThrow(CpmParseError);
    }
    expect(parseCallerPreferences('*;require;explicit')[0]).toEqual({
      features: new Map(),
      require: true,
      explicit: true,
    });
  });
});
