import { describe, expect, it } from 'vitest';
import { ExpiryHeap } from './expiry-heap.js';

describe('ExpiryHeap (binary min-heap of binding expiries)', () => {
  it('pops in time order whatever the push order, ties included', () => {
    const heap = new ExpiryHeap();
    const times = Array.from({ length: 500 }, (_, i) => (i * 7919) % 263);
    for (const [i, at] of times.entries()) heap.push({ at, aor: `sip:u${i}@ims.lab` });
    const popped: number[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) popped.push(e.at);
    expect(popped).toEqual([...times].sort((a, b) => a - b));
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
  });
});
