import { describe, expect, it } from 'vitest';
import { BodyParseError } from './errors.js';
import { buildXml, parseXml } from './xml.js';

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>`;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof BodyParseError) return err.code;
    throw err;
  }
  return undefined;
}

describe('safe XML (entity processing off, bounded)', () => {
  it('XML 1.0 §4.2: a billion-laughs DOCTYPE is refused, not expanded', () => {
    expect(code(() => parseXml(BILLION_LAUGHS))).toBe('doctype');
    expect(code(() => parseXml(Buffer.from(BILLION_LAUGHS)))).toBe('doctype');
  });

  it('XML 1.0 §4.1 WFC Entity Declared: an undeclared entity reference is refused', () => {
    expect(code(() => parseXml('<a>&lol9;</a>'))).toBe('entity');
  });

  it('XML 1.0 §4.6: predefined entities and character references are decoded', () => {
    const el = parseXml('<a t="x&amp;y&quot;">&lt;b&gt; &#65;&#x42; <![CDATA[&amp;]]></a>');
    expect(el.text).toBe('<b> AB&amp;'); // each text run is trimmed
    expect(el.attrs.get('t')).toBe('x&y"');
  });

  it('oversize document is refused with too-large', () => {
    expect(code(() => parseXml(`<a>${'x'.repeat(200)}</a>`, { maxBytes: 100 }))).toBe('too-large');
  });

  it('malformed XML, several roots and invalid UTF-8 are typed errors', () => {
    expect(code(() => parseXml('<a><b></a>'))).toBe('malformed-xml');
    expect(code(() => parseXml('<a/><b/>'))).toBe('malformed-xml');
    expect(code(() => parseXml(''))).toBe('malformed-xml');
    expect(code(() => parseXml('<p:a/>'))).toBe('malformed-xml');
    expect(code(() => parseXml(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])))).toBe(
      'encoding',
    );
  });

  it('XML Namespaces §6: element and attribute namespaces resolve whatever prefix is used', () => {
    const el = parseXml('<x:r xmlns:x="urn:a" xmlns:y="urn:b"><x:c y:k="v" k="w"/><d xmlns="urn:c"/></x:r>');
    expect([el.ns, el.name]).toEqual(['urn:a', 'r']);
    expect(el.children[0]!.attrs.get('{urn:b}k')).toBe('v');
    expect(el.children[0]!.attrs.get('k')).toBe('w');
    expect(el.children[1]!.ns).toBe('urn:c');
  });

  it('XML Namespaces §6.1: a declaration scopes to its element and descendants, never to siblings or the parent', () => {
    const el = parseXml(
      '<r xmlns="urn:a" xmlns:p="urn:p"><b xmlns="urn:b" xmlns:p="urn:q"><p:i/><j/></b><c><p:k/></c><p:l/></r>',
    );
    const [b, c, l] = el.children;
    expect(el.ns).toBe('urn:a');
    expect([b!.ns, b!.children[0]!.ns, b!.children[1]!.ns]).toEqual(['urn:b', 'urn:q', 'urn:b']);
    expect([c!.ns, c!.children[0]!.ns, l!.ns]).toEqual(['urn:a', 'urn:p', 'urn:p']);
    expect(code(() => parseXml('<r><b xmlns:p="urn:p"/><p:c/></r>'))).toBe('malformed-xml');
  });

  it('buildXml escapes text and attributes so they parse back unchanged', () => {
    const tricky = `a<b>&c"d'e`;
    const xml = buildXml({ name: 'r', attrs: { v: tricky }, children: [{ name: 't', children: [tricky] }] });
    const el = parseXml(xml);
    expect(el.attrs.get('v')).toBe(tricky);
    expect(el.children[0]!.text).toBe(tricky);
  });
});
