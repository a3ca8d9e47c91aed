import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  envBool,
  envHostPort,
  envInt,
  envOptional,
  envPort,
  envString,
  formatHostPort,
  parseHostPort,
  parsePort,
} from './config.js';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config helpers', () => {
  it('envString: value, default, required, allowed values', () => {
    const env = { CPM_MODE: ' drop ', EMPTY: '' };
    expect(envString('CPM_MODE', { env })).toBe('drop');
    expect(envString('MISSING', { env, default: 'x' })).toBe('x');
    expect(envString('EMPTY', { env, default: 'x' })).toBe('x');
    const missing = errorOf(() => envString('CPM_LAB_PF', { env }));
    expect(missing.setting).toBe('CPM_LAB_PF');
    expect(missing.message).toBe('CPM_LAB_PF: is required but not set');
    const bad = errorOf(() =>
      envString('CPM_MODE', { env: { CPM_MODE: 'explode' }, allowed: ['deregister', 'drop'] }),
    );
    expect(bad.message).toBe('CPM_MODE: must be one of deregister, drop (got "explode")');
    const mode: 'deregister' | 'drop' = envString('CPM_MODE', { env, allowed: ['deregister', 'drop'] });
    expect(mode).toBe('drop');
  });

  it('a CLI flag wins over the variable, and errors then name the flag', () => {
    const env = { CPM_LAB_PORT: '7000' };
    expect(envPort('CPM_LAB_PORT', { env, flag: { name: '--port', value: '7001' } })).toBe(7001);
    expect(envPort('CPM_LAB_PORT', { env, flag: { name: '--port', value: undefined } })).toBe(7000);
    expect(
      errorOf(() => envPort('CPM_LAB_PORT', { env, flag: { name: '--port', value: 'x' } })).message,
    ).toMatch(/^--port: must be a port number 0\.\.65535/);
    expect(
      errorOf(() => envPort('CPM_LAB_PORT', { env: {}, flag: { name: '--port', value: undefined } })).message,
    ).toBe('--port / CPM_LAB_PORT: is required but not set');
  });

  it('envInt and envPort validate ranges and name the variable', () => {
    expect(envInt('N', { env: { N: '42' }, min: 1, max: 100 })).toBe(42);
    expect(envInt('N', { env: {}, default: 7 })).toBe(7);
    expect(errorOf(() => envInt('CPM_LAB_MAX', { env: { CPM_LAB_MAX: '4.5' } })).message).toBe(
      'CPM_LAB_MAX: must be an integer (got "4.5")',
    );
    expect(
      errorOf(() => envInt('CPM_LAB_MAX', { env: { CPM_LAB_MAX: '500' }, min: 1, max: 100 })).message,
    ).toBe('CPM_LAB_MAX: must be an integer in 1..100 (got 500)');
    expect(envPort('P', { env: { P: '0' } })).toBe(0);
    expect(envPort('P', { env: { P: '65535' } })).toBe(65535);
    for (const value of ['65536', '-1', 'http', '80a']) {
      const err = errorOf(() => envPort('CPM_LAB_CONTROL_PORT', { env: { CPM_LAB_CONTROL_PORT: value } }));
      expect(err.setting).toBe('CPM_LAB_CONTROL_PORT');
      expect(err.message).toContain('CPM_LAB_CONTROL_PORT: must be a port number 0..65535');
    }
    expect(
      errorOf(() => envPort('SIP_PORT', { env: { SIP_PORT: '0' }, allowZero: false })).message,
    ).toContain('SIP_PORT: must be a port number 1..65535');
  });

  it('envBool accepts the usual spellings only', () => {
    expect(envBool('B', { env: { B: 'Yes' } })).toBe(true);
    expect(envBool('B', { env: { B: '0' } })).toBe(false);
    expect(envBool('B', { env: {}, default: true })).toBe(true);
    expect(errorOf(() => envBool('CPM_LAB_JSON', { env: { CPM_LAB_JSON: 'maybe' } })).message).toMatch(
      /^CPM_LAB_JSON: must be a boolean/,
    );
  });

  it('envOptional is undefined when unset or empty', () => {
    expect(envOptional('X', { env: {} })).toBeUndefined();
    expect(envOptional('X', { env: { X: '  ' } })).toBeUndefined();
    expect(envOptional('X', { env: { X: 'v' } })).toBe('v');
  });

  it('parseHostPort: IPv4, names, bracketed IPv6 (RFC 3986 §3.2.2), default port', () => {
    expect(parseHostPort('127.0.0.1:5060')).toEqual({ host: '127.0.0.1', port: 5060 });
    expect(parseHostPort('cscf.lab:5060')).toEqual({ host: 'cscf.lab', port: 5060 });
    expect(parseHostPort('[::1]:5061')).toEqual({ host: '::1', port: 5061 });
    expect(parseHostPort('[::1]', { defaultPort: 5060 })).toEqual({ host: '::1', port: 5060 });
    expect(parseHostPort('::1', { defaultPort: 5060 })).toEqual({ host: '::1', port: 5060 });
    expect(parseHostPort('pf', { defaultPort: 5070 })).toEqual({ host: 'pf', port: 5070 });
    expect(formatHostPort({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(formatHostPort({ host: 'a', port: 1 })).toBe('a:1');
  });

  it('parseHostPort and envHostPort errors name the setting', () => {
    expect(errorOf(() => parseHostPort('cscf', { name: '--cscf' })).message).toBe(
      '--cscf: port missing, expected host:port (got "cscf")',
    );
    expect(errorOf(() => parseHostPort(':5060', { name: 'X' })).message).toContain('X: host is empty');
    expect(errorOf(() => parseHostPort('[::1', { name: 'X' })).message).toContain('unterminated IPv6');
    expect(errorOf(() => parseHostPort('h:99999', { name: 'X' })).message).toContain(
      'X: must be a port number',
    );
    expect(errorOf(() => envHostPort('CPM_LAB_CSCF', { env: { CPM_LAB_CSCF: 'h:x' } })).setting).toBe(
      'CPM_LAB_CSCF',
    );
    expect(envHostPort('CPM_LAB_CSCF', { env: {}, default: { host: 'h', port: 1 } })).toEqual({
      host: 'h',
      port: 1,
    });
    expect(envHostPort('CPM_LAB_CSCF', { env: { CPM_LAB_CSCF: 'h' }, defaultPort: 5060 })).toEqual({
      host: 'h',
      port: 5060,
    });
  });

  it('parsePort is a ConfigError named after its argument', () => {
    expect(parsePort(' 80 ', 'x')).toBe(80);
    expect(() => parsePort('', 'the port')).toThrow('the port: must be a port number');
  });
});
