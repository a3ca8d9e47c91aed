import { describe, expect, it } from 'vitest';
import { Params, parseParams } from '../sip/params.js';
import { CpmParseError } from './errors.js';
import {
  decodeFeatureValues,
  encodeFeatureValue,
  formatIcsiRefParam,
  hasIcsi,
  icsiRefs,
  setIcsiRef,
} from './feature-tags.js';
import { CPM_ICSIS, ICSI_CPM_DEFERRED, ICSI_CPM_SESSION, parseServiceHeader } from './icsi.js';
import {
  CONTRIBUTION_ID,
  CONVERSATION_ID,
  IN_REPLY_TO_CONTRIBUTION_ID,
  isValidCpmId,
  newContributionId,
  newConversationId,
  normalizeCpmId,
  sameCpmId,
} from './ids.js';
import {
  formatSipInstanceParam,
  getSipInstance,
  newInstanceId,
  sameInstance,
  setSipInstance,
} from './instance.js';

describe('ICSI feature tags (protocol-notes §2)', () => {
  it('protocol-notes §2: ICSI values are the literal URNs of the table', () => {
    expect(CPM_ICSIS).toEqual([
      'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session',
      'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred',
      'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg',
      'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg',
    ]);
  });

  it('protocol-notes §2: the URN is percent-encoded, several values in ONE quoted parameter', () => {
    expect(encodeFeatureValue(ICSI_CPM_SESSION)).toBe('urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session');
    const p = formatIcsiRefParam([ICSI_CPM_SESSION, ICSI_CPM_DEFERRED]);
    expect(p).toBe(
      '+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred"',
    );
    const params = setIcsiRef(new Params(), CPM_ICSIS);
    expect(params.list.filter((x) => x.name === '+g.3gpp.icsi-ref')).toHaveLength(1);
    const reparsed = parseParams(params.toString(), 0).params;
    expect(icsiRefs(reparsed)).toEqual(CPM_ICSIS);
  });

  it('protocol-notes §2: decoding splits on commas, percent-decodes, tolerates a literal URN, compares case-insensitively', () => {
    expect(decodeFeatureValues('urn%3Aa , urn:b,<urn%3ac>')).toEqual(['urn:a', 'urn:b', 'urn:c']);
    expect(decodeFeatureValues('bad%zz')).toEqual(['bad%zz']);
    const params = parseParams(`;+g.3gpp.icsi-ref="${ICSI_CPM_DEFERRED.toUpperCase()}"`, 0).params;
    expect(hasIcsi(params, ICSI_CPM_DEFERRED)).toBe(true);
    expect(hasIcsi(params, ICSI_CPM_SESSION)).toBe(false);
    expect(icsiRefs(parseParams(';+g.3gpp.icsi-ref', 0).params)).toEqual([]);
  });

  it('RFC 6050 §4: P-Asserted-Service carries the literal URN', () => {
    expect(parseServiceHeader(`${ICSI_CPM_DEFERRED}`)).toEqual([ICSI_CPM_DEFERRED]);
  });
});

describe('+sip.instance (RFC 5626 §4.1)', () => {
  it('RFC 5626 §4.1: the instance URN is written quoted in angle brackets and read back', () => {
    const id = newInstanceId();
    expect(id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(formatSipInstanceParam(id)).toBe(`+sip.instance="<${id}>"`);
    const params = parseParams(setSipInstance(new Params(), id).toString(), 0).params;
    expect(getSipInstance(params)).toBe(id);
    expect(sameInstance(id, id.toUpperCase())).toBe(true);
    expect(getSipInstance(new Params())).toBeUndefined();
  });
});

describe('Conversation-ID / Contribution-ID (protocol-notes §1)', () => {
  it('protocol-notes §1: header names are exact', () => {
    expect([CONVERSATION_ID, CONTRIBUTION_ID, IN_REPLY_TO_CONTRIBUTION_ID]).toEqual([
      'Conversation-ID',
      'Contribution-ID',
      'InReplyTo-Contribution-ID',
    ]);
  });

  it('protocol-notes §1: generated IDs are lower-case RFC 4122 v4 UUIDs', () => {
    for (const id of [newConversationId(), newContributionId()]) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(newConversationId()).not.toBe(newConversationId());
  });

  it('protocol profile §1: IDs are opaque RFC 3261 tokens of any format, compared exactly', () => {
    const uuid = '0b1d4f0e-5c2a-4e8a-9f00-112233445566';
    for (const id of [
      uuid,
      uuid.toUpperCase(),
      '0B1D4F0E5C2A4E8A9F00112233445566',
      'conv.42',
      "a!%*_+`'~b",
    ]) {
      expect(isValidCpmId(id)).toBe(true);
      expect(normalizeCpmId(` ${id} `)).toBe(id);
    }
    // Compared exactly: no case folding, no UUID reformatting.
    expect(sameCpmId(uuid, uuid)).toBe(true);
    expect(sameCpmId(uuid, uuid.toUpperCase())).toBe(false);
    expect(sameCpmId(uuid, '0b1d4f0e5c2a4e8a9f00112233445566')).toBe(false);
    expect(sameCpmId(uuid, newConversationId())).toBe(false);
    for (const bad of ['', '   ', 'two words', 'a;b', 'a"b', 'a\r\nb', 'x'.repeat(257)]) {
      expect(isValidCpmId(bad)).toBe(false);
      expect(() => normalizeCpmId(bad)).toThrow(CpmParseError);
    }
    expect(sameCpmId('a b', 'a b')).toBe(false);
  });
});
