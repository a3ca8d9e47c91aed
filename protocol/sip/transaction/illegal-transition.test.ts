import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, illegalTransition } from './illegal-transition.js';

describe('illegal transaction state transitions (RFC 3261 §17 figures) are never ignored', () => {
  it('under test they throw, naming the machine and the missing edge', () => {
    const reported: unknown[] = [];
    expect(() =>
      illegalTransition('INVITE client transaction', 'Terminated', 'Proceeding', (e) => reported.push(e)),
    ).toThrowError(new IllegalTransitionError('INVITE client transaction', 'Terminated', 'Proceeding'));
    expect(reported).toEqual([]);
  });

  it('in a running node they go to the error listeners and nothing throws', () => {
    const reported: IllegalTransitionError[] = [];
    illegalTransition(
      'non-INVITE server transaction',
      'Terminated',
      'Trying',
      (e) => reported.push(e),
      false,
    );
    expect(reported.map((e) => e.message)).toEqual([
      'non-INVITE server transaction: no transition Terminated → Trying',
    ]);
  });
});
