import { describe, expect, it } from 'vitest';
import {
  optionalBoolean,
  optionalInt,
  optionalString,
  queryInt,
  requireBoolean,
  requireInt,
  requireObject,
  requireString,
  requireStringArray,
  ValidationError,
} from './validate.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).status).toBe(400);
    return (err as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('request validation helpers', () => {
  it('requireString with allowed values narrows the type and names the field', () => {
    const mode: 'deregister' | 'drop' = requireString({ mode: 'drop' }, 'mode', ['deregister', 'drop']);
    expect(mode).toBe('drop');
    expect(message(() => requireString({ mode: 'x' }, 'mode', ['deregister', 'drop']))).toBe(
      '"mode" must be one of deregister, drop, got "x"',
    );
    expect(message(() => requireString({}, 'mode', ['deregister', 'drop']))).toBe(
      '"mode" is required (one of deregister, drop)',
    );
    expect(message(() => requireString({ to: 5 }, 'to'))).toBe('"to" must be a string, got 5');
    expect(message(() => requireString({ to: '' }, 'to'))).toBe('"to" must not be empty');
    expect(optionalString({}, 'x')).toBeUndefined();
    expect(optionalString({ x: null }, 'x')).toBeUndefined();
    expect(optionalString({ x: 'later' }, 'x', ['accept', 'decline', 'later'])).toBe('later');
  });

  it('bodies must be JSON objects', () => {
    expect(message(() => requireObject(undefined))).toBe(
      'request body must be a JSON object (send Content-Type: application/json)',
    );
    expect(message(() => requireString([], 'mode'))).toBe('request body must be a JSON object, got an array');
    expect(message(() => requireString(null, 'mode'))).toBe('request body must be a JSON object, got null');
  });

  it('integers, booleans and string arrays', () => {
    expect(requireInt({ n: 3 }, 'n', { min: 1 })).toBe(3);
    expect(message(() => requireInt({ n: 1.5 }, 'n'))).toBe('"n" must be an integer, got 1.5');
    expect(message(() => requireInt({ n: 0 }, 'n', { min: 1 }))).toBe('"n" must be at least 1, got 0');
    expect(message(() => requireInt({ n: 9 }, 'n', { max: 5 }))).toBe('"n" must be at most 5, got 9');
    expect(message(() => requireInt({}, 'n'))).toBe('"n" is required');
    expect(optionalInt({}, 'n')).toBeUndefined();
    expect(requireBoolean({ b: false }, 'b')).toBe(false);
    expect(message(() => requireBoolean({ b: 'yes' }, 'b'))).toBe('"b" must be true or false, got "yes"');
    expect(optionalBoolean({}, 'b')).toBeUndefined();
    expect(requireStringArray({ p: ['sip:a', 'sip:b'] }, 'p', { minItems: 1 })).toEqual(['sip:a', 'sip:b']);
    expect(message(() => requireStringArray({ p: [] }, 'p', { minItems: 1 }))).toBe(
      '"p" must have at least 1 item(s), got 0',
    );
    expect(message(() => requireStringArray({ p: ['a', 2] }, 'p'))).toBe(
      '"p[1]" must be a non-empty string, got 2',
    );
    expect(message(() => requireStringArray({ p: 'a' }, 'p'))).toBe(
      '"p" must be an array of strings, got "a"',
    );
  });

  it('queryInt parses decimal query parameters', () => {
    expect(queryInt({ limit: '10' }, 'limit', { min: 1 })).toBe(10);
    expect(queryInt({}, 'limit')).toBeUndefined();
    expect(queryInt({ limit: '' }, 'limit')).toBeUndefined();
    expect(message(() => queryInt({ limit: '-1' }, 'limit'))).toBe(
      'query parameter "limit" must be a non-negative integer, got "-1"',
    );
    expect(message(() => queryInt({ limit: '0' }, 'limit', { min: 1 }))).toBe(
      'query parameter "limit" must be at least 1, got 0',
    );
    expect(message(() => queryInt({ limit: ['1', '2'] }, 'limit'))).toBe(
      'query parameter "limit" must be given once',
    );
  });
});
