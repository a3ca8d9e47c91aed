import { expect, it } from 'vitest';
import { normalizeAddress } from './via-processing.js';

it('normalizeAddress: IPv6 brackets and the IPv4-mapped prefix go, case folds; the answer is the same for every copy of a text', () => {
  expect(normalizeAddress('[2001:DB8::1]')).toBe('2001:db8::1');
  expect(normalizeAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
  expect(normalizeAddress(' Example.COM ')).toBe('example.com');
  // A datagram's source is a new string each time; remembered answers are correct whichever copy asks.
  const fresh = () => ['::FFFF:', '198.51.100.', String(20)].join('');
  expect(normalizeAddress(fresh())).toBe('198.51.100.20');
  expect(normalizeAddress(fresh())).toBe('198.51.100.20');
  // Long texts are normalized, not remembered, and answered the same every time.
  const long = `[${'A:'.repeat(40)}1]`;
  expect(normalizeAddress(long)).toBe(`${'a:'.repeat(40)}1`);
  expect(normalizeAddress(long)).toBe(`${'a:'.repeat(40)}1`);
});
