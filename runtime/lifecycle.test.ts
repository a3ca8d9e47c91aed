import { EventEmitter, once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { logReady, onShutdown } from './lifecycle.js';
import { createLogger } from './logger.js';

function harness() {
  const target = new EventEmitter();
  const exits: number[] = [];
  const exited = new EventEmitter();
  const lines: string[] = [];
  const logger = createLogger('pf', { env: {}, write: (l) => lines.push(l) });
  const exit = (code: number) => {
    exits.push(code);
    exited.emit('exit', code);
  };
  return { target, exits, exited, lines, logger, exit };
}

describe('lifecycle', () => {
  it('SIGTERM runs the handler once, then exits 0', async () => {
    const h = harness();
    const calls: string[] = [];
    onShutdown(
      ['SIGTERM', 'SIGINT'],
      async (signal) => {
        calls.push(signal);
      },
      h,
    );
    const exited = once(h.exited, 'exit');
    h.target.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toEqual([0]);
    expect(calls).toEqual(['SIGTERM']);
    expect(h.lines.some((l) => l.includes('shutting down signal=SIGTERM'))).toBe(true);
  });

  it('a failing handler exits 1 and is logged', async () => {
    const h = harness();
    onShutdown(
      ['SIGINT'],
      () => {
        throw new Error('store flush failed');
      },
      h,
    );
    const exited = once(h.exited, 'exit');
    h.target.emit('SIGINT', 'SIGINT');
    expect(await exited).toEqual([1]);
    expect(h.lines.some((l) => l.includes('shutdown failed') && l.includes('store flush failed'))).toBe(true);
  });

  it('a second signal exits 1 at once; a handler that never finishes times out', async () => {
    const h = harness();
    onShutdown(['SIGTERM', 'SIGINT'], () => new Promise<void>(() => {}), { ...h, timeoutMs: 10 });
    h.target.emit('SIGTERM', 'SIGTERM');
    h.target.emit('SIGINT', 'SIGINT');
    expect(h.exits).toEqual([1]);
    const exited = once(h.exited, 'exit');
    expect(await exited).toEqual([1]);
    expect(h.lines.some((l) => l.includes('did not finish in time'))).toBe(true);
  });

  it('the returned function removes the listeners', () => {
    const h = harness();
    const dispose = onShutdown(['SIGTERM', 'SIGINT'], () => {}, h);
    expect(h.target.listenerCount('SIGTERM')).toBe(1);
    dispose();
    expect(h.target.listenerCount('SIGTERM') + h.target.listenerCount('SIGINT')).toBe(0);
  });

  it('logReady writes one "ready" line with the fields', () => {
    const h = harness();
    logReady(h.logger, { control: 'http://127.0.0.1:1', sip: 'udp:127.0.0.1:5060' });
    expect(h.lines).toHaveLength(1);
    expect(h.lines[0]).toMatch(
      / INFO {2}pf ready control=http:\/\/127\.0\.0\.1:1 sip=udp:127\.0\.0\.1:5060 pid=\d+$/,
    );
  });
});
