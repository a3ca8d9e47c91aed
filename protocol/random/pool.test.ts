import { describe, expect, it } from 'vitest';
import { randomHex, takeRandomBytes } from './pool.js';

describe('random pool', () => {
  it('hands out fresh bytes across refills: 20,000 identifiers of 96 bits, no repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(randomHex(12));
    expect(seen.size).toBe(20_000);
  });

  it('a request larger than the pool is served whole', () => {
    expect(takeRandomBytes(10_000)).toHaveLength(10_000);
    expect(randomHex(3)).toMatch(/^[0-9a-f]{6}$/);
  });
});
