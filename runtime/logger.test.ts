import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { createLogger, logLevelFromEnv } from './logger.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function capture(options: Parameters<typeof createLogger>[1] = {}) {
  const lines: string[] = [];
  const logger = createLogger('cscf', { env: {}, now: () => T0, write: (l) => lines.push(l), ...options });
  return { logger, lines };
}

describe('logger', () => {
  it('text format: time level node message key=value, one line per record', () => {
    const { logger, lines } = capture();
    logger.info('registered', { aor: 'sip:alice@lab', expires: 600, note: 'two words', ok: true });
    logger.warn('multi\nline');
    expect(lines).toEqual([
      '2025-01-02T03:04:05.678Z INFO  cscf registered aor=sip:alice@lab expires=600 note="two words" ok=true',
      '2025-01-02T03:04:05.678Z WARN  cscf multi\\nline',
    ]);
  });

  it('filters by level; default info, CPM_LAB_LOG overrides', () => {
    const { logger, lines } = capture();
    logger.debug('hidden');
    logger.error('shown');
    expect(lines).toHaveLength(1);
    const debug = capture({ env: { CPM_LAB_LOG: 'debug' } });
    debug.logger.debug('visible');
    expect(debug.lines).toHaveLength(1);
    expect(debug.logger.level).toBe('debug');
    const quiet = capture({ level: 'error' });
    quiet.logger.warn('no');
    expect(quiet.lines).toHaveLength(0);
    expect(quiet.logger.enabled('error')).toBe(true);
    expect(quiet.logger.enabled('warn')).toBe(false);
  });

  it('a bad CPM_LAB_LOG is a ConfigError naming the variable', () => {
    expect(() => logLevelFromEnv({ CPM_LAB_LOG: 'verbose' })).toThrow(ConfigError);
    expect(() => logLevelFromEnv({ CPM_LAB_LOG: 'verbose' })).toThrow(
      /^CPM_LAB_LOG: must be one of error, warn, info, debug/,
    );
    expect(logLevelFromEnv({})).toBe('info');
  });

  it('JSON lines: time, level, node, msg and fields; reserved names are not overwritten', () => {
    const { logger, lines } = capture({ json: true });
    logger
      .child({ component: 'registrar' })
      .info('bound', { node: 'evil', contacts: 2, raw: Buffer.alloc(3), at: new Date(T0) });
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2025-01-02T03:04:05.678Z',
      level: 'info',
      node: 'cscf',
      msg: 'bound',
      component: 'registrar',
      field_node: 'evil',
      contacts: 2,
      raw: '<3 bytes>',
      at: '2025-01-02T03:04:05.678Z',
    });
    const env = capture({ env: { CPM_LAB_LOG_FORMAT: 'json' } });
    env.logger.info('x');
    expect(JSON.parse(env.lines[0]!).msg).toBe('x');
  });

  it('errors are logged by message (stack only server-side, on the same line); cycles do not throw', () => {
    const { logger, lines } = capture();
    const err = Object.assign(new Error('boom'), { code: 'ECONNRESET' });
    logger.error('failed', { err });
    expect(lines[0]).toContain('err="ECONNRESET: boom"');
    expect(lines[0]).toContain(' stack="Error: boom');
    expect(lines[0]!.split('\n')).toHaveLength(1);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    logger.info('cyclic', { cyclic });
    expect(lines[1]).toContain('cyclic="[unserializable]"');
    const json = capture({ json: true });
    json.logger.info('cyclic', { cyclic });
    expect(json.lines[0]).toBe('"[unserializable]"');
  });

  it('a throwing sink never throws into the caller', () => {
    const logger = createLogger('pf', {
      env: {},
      write: () => {
        throw new Error('EPIPE');
      },
    });
    expect(() => logger.info('x')).not.toThrow();
  });
});
