import { describe, expect, it } from 'vitest';
import { escapeMermaid, mergeNodeTraces, toMermaid, toMermaidPerFlow } from './index.js';
import { recordDeferredFlow } from './test-support/deferred-flow.js';

describe('toMermaid', () => {
  it('protocol-notes §4 deferred delivery: SIP solid, MSRP dashed, labels with ICSI and direction, gap note', () => {
    const hops = mergeNodeTraces(recordDeferredFlow({ deliveryDelayMs: 2500 }).records());
    expect(toMermaid(hops)).toBe(
      [
        'sequenceDiagram',
        '  participant alice',
        '  participant cscf',
        '  participant pf',
        '  pf->>cscf: INVITE (cpm.deferred, sendonly)',
        '  cscf->>alice: INVITE (cpm.deferred, sendonly)',
        '  alice->>cscf: 200 OK (INVITE, recvonly)',
        '  cscf->>pf: 200 OK (INVITE, recvonly)',
        '  pf->>cscf: ACK',
        '  cscf->>alice: ACK',
        '  alice-->>pf: MSRP SEND (empty)',
        '  pf-->>alice: MSRP 200',
        '  Note over alice,pf: 2.5 s later',
        '  pf-->>alice: MSRP SEND (cpim:text/plain)',
        '  alice-->>pf: MSRP 200',
        '  pf->>cscf: BYE',
        '  cscf->>alice: BYE',
        '  alice->>cscf: 200 OK (BYE)',
        '  cscf->>pf: 200 OK (BYE)',
        '',
      ].join('\n'),
    );
    expect(
      toMermaid(hops, { details: false, gapMs: Number.POSITIVE_INFINITY }).split('\n').slice(4, 6),
    ).toEqual(['  pf->>cscf: INVITE', '  cscf->>alice: INVITE']);
  });

  it('peers outside the lab get an alias; one-sided hops say which side was not seen; text is escaped', () => {
    const hops = mergeNodeTraces(recordDeferredFlow({ pfUnrecorded: true }).records(), {
      peerNames: { '127.0.0.1:5070': 'sipp;#1' },
    });
    const lines = toMermaid(hops.slice(0, 8), { title: 'D1 #3; <deferred>', autonumber: true }).split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'sequenceDiagram',
      '  title D1 #35;3#59; #60;deferred#62;',
      '  autonumber',
      '  participant alice',
      '  participant cscf',
      '  participant p3 as sipp#59;#35;1',
      '  participant p4 as 127.0.0.1:7394',
    ]);
    expect(lines).toContain('  p3->>cscf: INVITE (cpm.deferred, sendonly) [not seen by sender]');
    expect(lines).toContain('  cscf->>p3: 200 OK (INVITE, recvonly) [not seen by receiver]');
    expect(lines).toContain('  alice-->>p4: MSRP SEND (empty) [not seen by receiver]');
    // Nothing outside an entity code may carry the grammar's statement separator or comment/entity start.
    const texts = lines.map((l) => /(?:: | as | title )(.*)$/.exec(l)?.[1] ?? '');
    for (const text of texts) expect(text.replace(/#\d+;/g, '')).not.toMatch(/[;#<>]/);
  });

  it('escapeMermaid: entity codes for ; # < > and no line breaks', () => {
    expect(escapeMermaid('a;b#c<d>e\r\nf')).toBe('a#59;b#35;c#60;d#62;e f');
  });

  it('toMermaidPerFlow: one diagram per flow', () => {
    const hops = mergeNodeTraces(recordDeferredFlow().records());
    const flows = toMermaidPerFlow(hops);
    expect(flows.map((f) => f.key)).toEqual(['conversation:6f1c2f2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f']);
    expect(flows[0]!.mermaid).toBe(toMermaid(hops));
  });
});
