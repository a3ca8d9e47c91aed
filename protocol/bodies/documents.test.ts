import { describe, expect, it } from 'vitest';
import {
  applyConferenceInfo,
  buildConferenceInfo,
  type ConferenceInfo,
  parseConferenceInfo,
} from './conference-info.js';
import { formatDateTime, parseDateTime } from './datetime.js';
import { BodyParseError } from './errors.js';
import { buildGroupState, parseGroupState } from './group-state.js';
import { allEntries, buildResourceLists, parseResourceLists, type ResourceLists } from './resource-lists.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof BodyParseError) return err.code;
    throw err;
  }
  return undefined;
}

const FULL: ConferenceInfo = {
  entity: 'sip:group-7@ims.lab',
  state: 'full',
  version: 1,
  subject: 'Team',
  userCount: 2,
  users: [
    {
      entity: 'sip:alice@ims.lab',
      displayText: 'Alice',
      roles: ['participant'],
      endpoints: [
        {
          entity: 'sip:alice@ims.lab;gr=1',
          status: 'connected',
          joiningMethod: 'dialed-in',
          media: [{ id: '1', type: 'message', status: 'sendrecv' }],
        },
      ],
    },
    {
      entity: 'sip:bob@ims.lab',
      endpoints: [{ entity: 'sip:bob@ims.lab', status: 'disconnected', media: [] }],
    },
  ],
};

describe('conference-info (RFC 4575)', () => {
  it('RFC 4575 §5: full state round-trips', () => {
    const xml = buildConferenceInfo(FULL);
    expect(xml.toString()).toContain('<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"');
    expect(parseConferenceInfo(xml)).toEqual(FULL);
  });

  it('RFC 4575 §4.6: a partial notification round-trips and merges into the full state', () => {
    const partial: ConferenceInfo = {
      entity: FULL.entity,
      state: 'partial',
      version: 2,
      users: [
        { entity: 'sip:bob@ims.lab', state: 'deleted', endpoints: [] },
        {
          entity: 'sip:carol@ims.lab',
          state: 'full',
          endpoints: [{ entity: 'sip:carol@ims.lab', status: 'connected', media: [] }],
        },
        {
          entity: 'sip:alice@ims.lab',
          state: 'partial',
          endpoints: [{ entity: 'sip:alice@ims.lab;gr=1', state: 'partial', status: 'on-hold', media: [] }],
        },
      ],
    };
    const parsed = parseConferenceInfo(buildConferenceInfo(partial));
    expect(parsed).toEqual(partial);
    const merged = applyConferenceInfo(FULL, parsed)!;
    expect(merged.version).toBe(2);
    expect(merged.users!.map((u) => u.entity)).toEqual(['sip:alice@ims.lab', 'sip:carol@ims.lab']);
    const alice = merged.users![0]!;
    expect(alice.displayText).toBe('Alice');
    expect(alice.endpoints[0]!.status).toBe('on-hold');
    expect(alice.endpoints[0]!.media).toEqual(FULL.users![0]!.endpoints[0]!.media);
  });

  it('RFC 4575 §4.6: a partial notification with a version gap is not applied', () => {
    expect(applyConferenceInfo(FULL, { ...FULL, state: 'partial', version: 3 })).toBeUndefined();
    expect(applyConferenceInfo(undefined, { ...FULL, state: 'partial', version: 2 })).toBeUndefined();
  });

  it('RFC 4575 §5.1: state defaults to full; missing version / bad values are schema errors', () => {
    const ns = 'xmlns="urn:ietf:params:xml:ns:conference-info"';
    expect(parseConferenceInfo(`<conference-info ${ns} entity="sip:g@x" version="0"/>`).state).toBe('full');
    expect(code(() => parseConferenceInfo(`<conference-info ${ns} entity="sip:g@x"/>`))).toBe('schema');
    expect(
      code(() => parseConferenceInfo(`<conference-info ${ns} entity="sip:g@x" version="1" state="x"/>`)),
    ).toBe('schema');
    expect(code(() => parseConferenceInfo('<conference-info entity="sip:g@x" version="1"/>'))).toBe('schema');
    expect(code(() => parseConferenceInfo('<conference-info'))).toBe('malformed-xml');
  });
});

describe('group state object (protocol-notes §7)', () => {
  const EXAMPLE = `<groupstate timestamp="2026-11-24T10:15:00Z" lastfocussessionid="sip:group-7@ims.lab" group-type="Closed">
  <participant name="alice" comm-addr="sip:alice@ims.lab"/>
</groupstate>`;

  it('protocol-notes §7: the example parses and round-trips', () => {
    const gs = parseGroupState(EXAMPLE);
    expect(gs).toEqual({
      timestamp: new Date('2026-11-24T10:15:00Z'),
      lastFocusSessionId: 'sip:group-7@ims.lab',
      groupType: 'Closed',
      participants: [{ name: 'alice', commAddr: 'sip:alice@ims.lab' }],
    });
    const xml = buildGroupState(gs).toString();
    expect(xml).toContain('timestamp="2026-11-24T10:15:00Z"');
    expect(xml).toContain('<participant name="alice" comm-addr="sip:alice@ims.lab"/>');
    expect(parseGroupState(xml)).toEqual(gs);
  });

  it('malformed group state objects are typed errors', () => {
    expect(code(() => parseGroupState('<groupstate lastfocussessionid="sip:g@x"/>'))).toBe('schema');
    expect(code(() => parseGroupState('<groupstate timestamp="yesterday" lastfocussessionid="x"/>'))).toBe(
      'schema',
    );
    expect(code(() => parseGroupState('<other/>'))).toBe('schema');
    expect(
      code(() =>
        parseGroupState(
          '<groupstate timestamp="2026-11-24T10:15:00Z" lastfocussessionid="x"><participant/></groupstate>',
        ),
      ),
    ).toBe('schema');
  });
});

describe('resource-lists (RFC 4826) with copy control (RFC 5364)', () => {
  const DOC: ResourceLists = {
    lists: [
      {
        entries: [
          { uri: 'sip:bob@ims.lab', copyControl: 'to', displayName: 'Bob' },
          { uri: 'sip:carol@ims.lab', copyControl: 'cc' },
          { uri: 'sip:dave@ims.lab', copyControl: 'bcc', anonymize: true },
        ],
        lists: [{ name: 'more', entries: [{ uri: 'sip:eve@ims.lab' }], lists: [] }],
      },
    ],
  };

  it('RFC 5364 §4: copyControl to/cc/bcc round-trips', () => {
    const xml = buildResourceLists(DOC);
    expect(xml.toString()).toContain('cp:copyControl="bcc"');
    expect(parseResourceLists(xml)).toEqual(DOC);
    expect(allEntries(DOC).map((e) => e.uri)).toHaveLength(4);
  });

  it('RFC 5364 §4: copyControl is found whatever prefix the sender declared', () => {
    const xml = `<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:x="urn:ietf:params:xml:ns:copycontrol">
      <list><entry uri="sip:bob@ims.lab" x:copyControl="cc"/></list></resource-lists>`;
    expect(parseResourceLists(xml).lists[0]!.entries[0]).toEqual({
      uri: 'sip:bob@ims.lab',
      copyControl: 'cc',
    });
  });

  it('malformed resource lists are typed errors', () => {
    const head =
      '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="urn:ietf:params:xml:ns:copycontrol">';
    expect(code(() => parseResourceLists(`${head}<list><entry/></list></resource-lists>`))).toBe('schema');
    expect(
      code(() =>
        parseResourceLists(
          `${head}<list><entry uri="sip:a@b" cp:copyControl="from"/></list></resource-lists>`,
        ),
      ),
    ).toBe('schema');
    expect(code(() => parseResourceLists('<resource-lists/>'))).toBe('schema');
  });
});

describe('RFC 3339 date-time', () => {
  it('RFC 3339 §5.6: offsets, fractions and lower-case t/z are accepted', () => {
    expect(parseDateTime('2026-11-24T11:15:00+01:00').toISOString()).toBe('2026-11-24T10:15:00.000Z');
    expect(parseDateTime('2026-11-24t10:15:00.5z').toISOString()).toBe('2026-11-24T10:15:00.500Z');
    expect(formatDateTime(new Date('2026-11-24T10:15:00Z'), 'seconds')).toBe('2026-11-24T10:15:00Z');
  });

  it('RFC 3339 §5.7: out-of-range and non-RFC-3339 values are typed errors', () => {
    for (const bad of [
      '2026-02-30T10:15:00Z',
      '2026-11-24 10:15:00Z',
      '2026-11-24T10:15:00',
      '2026-13-01T00:00:00Z',
    ]) {
      expect(code(() => parseDateTime(bad))).toBe('datetime');
    }
  });

  it('RFC 3339 §5.7 / Appendix C: the last day of every month, February 29 only in leap years', () => {
    const last = { 1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31 };
    const leap = { 1900: false, 2000: true, 2023: false, 2024: true, 2100: false, 2400: true } as const;
    for (const [year, isLeap] of Object.entries(leap)) {
      for (const [month, days] of Object.entries(last)) {
        const mm = month.padStart(2, '0');
        const max = month === '2' && isLeap ? 29 : days;
        expect(parseDateTime(`${year}-${mm}-${max}T00:00:00Z`).getUTCDate()).toBe(max);
        expect(code(() => parseDateTime(`${year}-${mm}-${max + 1}T00:00:00Z`))).toBe('datetime');
      }
    }
    expect(code(() => parseDateTime('2026-01-00T00:00:00Z'))).toBe('datetime');
  });
});

describe('every XML body refuses entity bombs and oversize input', () => {
  const bomb = (root: string): string =>
    `<?xml version="1.0"?><!DOCTYPE ${root} [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">` +
    `<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><${root}>&d;</${root}>`;
  const parsers: Array<[string, string, (b: string, limits?: { maxBytes: number }) => unknown]> = [
    ['conference-info', 'conference-info', parseConferenceInfo],
    ['group state', 'groupstate', parseGroupState],
    ['resource-lists', 'resource-lists', parseResourceLists],
  ];
  it.each(parsers)('%s: billion-laughs DOCTYPE is refused without expansion', (_n, root, parse) => {
    expect(code(() => parse(bomb(root)))).toBe('doctype');
  });
  it.each(parsers)('%s: a body over the configured limit is refused', (_n, root, parse) => {
    expect(code(() => parse(`<${root}>${' '.repeat(500)}</${root}>`, { maxBytes: 256 }))).toBe('too-large');
  });
});
