import { expect, it } from 'vitest';
import { rememberAnswers } from './text-memo.js';

it('remembers answers for short texts, forgets them all when full, never remembers a long text or a throw', () => {
  const calls: string[] = [];
  const upper = rememberAnswers(
    (text) => {
      calls.push(text);
      if (text === 'bad') throw new Error('bad text');
      return text.toUpperCase();
    },
    2,
    5,
  );
  expect([upper('a'), upper('a'), upper('b'), upper('b')]).toEqual(['A', 'A', 'B', 'B']);
  expect(calls).toEqual(['a', 'b']);
  upper('c'); // full: a and b are forgotten, c remembered
  upper('c');
  upper('a');
  expect(calls).toEqual(['a', 'b', 'c', 'a']);
  expect([upper('longer'), upper('longer')]).toEqual(['LONGER', 'LONGER']);
  expect(() => upper('bad')).toThrow('bad text');
  expect(() => upper('bad')).toThrow('bad text');
  expect(calls).toEqual(['a', 'b', 'c', 'a', 'longer', 'longer', 'bad', 'bad']);
});
