import { describe, expect, it } from 'vitest';
import { assertFdsAvailable, fdBudget } from './fd-limit.js';

describe('file descriptor budget', () => {
  it('reads the open descriptors and the soft limit of this process from /proc', () => {
    const budget = fdBudget();
    expect(budget.open).toBeGreaterThan(0);
    expect(budget.limit).toBeGreaterThanOrEqual(budget.open);
  });

  it('refuses what does not fit under the limit, saying how much is needed and how to raise it', () => {
    expect(() => assertFdsAvailable(100, 'a lab', { open: 50, limit: 1024 })).not.toThrow();
    expect(() =>
      assertFdsAvailable(2000, 'an embedded lab with 200 clients', { open: 50, limit: 1024 }),
    ).toThrow(
      /an embedded lab with 200 clients needs about 2000 file descriptors; this process has 50 open and may open 1024 \(ulimit -n\)\. Raise the limit \(e\.g\. ulimit -n 3072\)/,
    );
    expect(() => assertFdsAvailable(1e6, 'x', { open: 50, limit: undefined })).not.toThrow();
  });
});
