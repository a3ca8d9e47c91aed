import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeNodeTraces, renderLadder } from './index.js';
import { recordDeferredFlow } from './test-support/deferred-flow.js';

describe('renderLadder', () => {
  const hops = mergeNodeTraces(recordDeferredFlow({ deliveryDelayMs: 2500 }).records());

  it('draws a 3-node flow: columns per node, time offsets, SIP solid and MSRP dashed arrows', () => {
    expect(renderLadder(hops, { width: 72 }).split('\n')).toEqual([
      'time (s)         alice                 cscf                  pf',
      '  +0.000           │                    │◀──INVITE (cpm.def…─│',
      '  +0.002           │◀──INVITE (cpm.def…─│                    │',
      '  +0.010           │──200 OK (INVITE,…─▶│                    │',
      '  +0.011           │                    │──200 OK (INVITE,…─▶│',
      '  +0.012           │                    │◀──ACK──────────────│',
      '  +0.013           │◀──ACK──────────────│                    │',
      '  +0.020           │- MSRP SEND (empty) - - - - - - - - - - >│',
      '  +0.021           │<- MSRP 200 - - - - - - - - - - - - - - -│',
      '  +2.522           │<- MSRP SEND (cpim:text/plain) - - - - - │',
      '  +2.523           │- MSRP 200 - - - - - - - - - - - - - - ->│',
      '  +2.527           │                    │◀──BYE──────────────│',
      '  +2.528           │◀──BYE──────────────│                    │',
      '  +2.529           │──200 OK (BYE)─────▶│                    │',
      '  +2.530           │                    │──200 OK (BYE)─────▶│',
    ]);
  });

  it('numbers each row with its hop index, the numbers checks and reports cite', () => {
    const lines = renderLadder(hops.slice(0, 2), { width: 120, numbers: true }).split('\n');
    expect(lines[0]).toMatch(/^ # time \(s\)/);
    expect(lines[1]).toMatch(/^#0 {2}\+0\.000 /);
    expect(lines[2]).toMatch(/^#1 {2}\+0\.002 /);
  });

  it('widens columns up to the labels when there is room', () => {
    const lines = renderLadder(hops.slice(0, 2), { width: 120 }).split('\n');
    expect(lines).toEqual([
      'time (s)                 alice                                 cscf                                  pf',
      '  +0.000                   │                                    │◀──INVITE (cpm.deferred, sendonly)──│',
      '  +0.002                   │◀──INVITE (cpm.deferred, sendonly)──│                                    │',
    ]);
  });

  it('is plain text by default; color adds ANSI codes around the arrows only', () => {
    expect(renderLadder(hops)).not.toMatch(/\x1b/);
    const coloured = renderLadder(hops, { color: true, width: 72 }).split('\n');
    expect(coloured[1]).toBe('  +0.000           │                    │\x1b[36m◀──INVITE (cpm.def…─\x1b[0m│');
    expect(coloured[3]).toContain('\x1b[32m──200 OK');
    expect(coloured[7]).toContain('\x1b[35m- MSRP SEND');
    expect(coloured.map((l) => l.replace(/\x1b\[\d+m/g, ''))).toEqual(
      renderLadder(hops, { width: 72 }).split('\n'),
    );
  });

  it('stays within the width for any width from 40 columns', () => {
    fc.assert(
      fc.property(fc.integer({ min: 40, max: 200 }), (width) => {
        for (const line of renderLadder(hops, { width }).split('\n'))
          expect([...line].length).toBeLessThanOrEqual(width);
      }),
    );
  });
});
