// Settings from CLI flags and environment variables: defaults, validation, errors that name the setting.
// Precedence: an explicit flag value, then the environment variable, then the default.

export type Env = Readonly<Record<string, string | undefined>>;

/** A bad or missing setting. `setting` names the flag and/or variable the value came from. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super(`${setting}: ${detail}`);
  }
}

/** A value given on the command line (e.g. commander's `opts().port`), named as the user typed it. */
export interface FlagValue {
  name: string;
  value: string | number | boolean | undefined;
}

/** A command-line flag's value for the env* helpers, or undefined when the flag was not given. */
export function flag(name: string, value: string | boolean | undefined): FlagValue | undefined {
  return value === undefined ? undefined : { name, value: String(value) };
}

interface SourceOptions {
  env?: Env;
  flag?: FlagValue;
}

interface Raw {
  value: string | undefined;
  /** Which setting supplied the value (for messages). */
  from: string;
}

function readRaw(variable: string, options: SourceOptions): Raw {
  const flag = options.flag;
  if (flag && flag.value !== undefined && flag.value !== '') {
    return { value: String(flag.value), from: flag.name };
  }
  const value = (options.env ?? process.env)[variable];
  const from = flag ? `${flag.name} / ${variable}` : variable;
  return { value: value === undefined || value.trim() === '' ? undefined : value.trim(), from };
}

/** A string setting; empty counts as unset. Throws ConfigError if unset with no default or not allowed. */
export function envString<const T extends string = string>(
  variable: string,
  options: SourceOptions & { default?: T; allowed?: readonly T[] } = {},
): T {
  const raw = readRaw(variable, options);
  if (raw.value === undefined) {
    if (options.default !== undefined) return options.default;
    throw new ConfigError(raw.from, 'is required but not set');
  }
  if (options.allowed && !options.allowed.includes(raw.value as T)) {
    throw new ConfigError(
      raw.from,
      `must be one of ${options.allowed.join(', ')} (got ${JSON.stringify(raw.value)})`,
    );
  }
  return raw.value as T;
}

/** An optional string setting: undefined when unset or empty. */
export function envOptional(variable: string, options: SourceOptions = {}): string | undefined {
  return readRaw(variable, options).value;
}

/** Parse a decimal integer within [min, max]; `name` appears in the error. */
export function parseInteger(
  value: string,
  name: string,
  range: { min?: number; max?: number } = {},
): number {
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const text = value.trim();
  if (!/^[+-]?\d+$/.test(text)) {
    throw new ConfigError(name, `must be an integer (got ${JSON.stringify(value)})`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be an integer in ${min}..${max} (got ${text})`);
  }
  return n;
}

/** Parse a TCP/UDP port; 0 (ephemeral) is allowed unless `allowZero` is false. */
export function parsePort(value: string, name: string, options: { allowZero?: boolean } = {}): number {
  const min = options.allowZero === false ? 1 : 0;
  try {
    return parseInteger(value, name, { min, max: 65_535 });
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new ConfigError(name, `must be a port number ${min}..65535 (got ${JSON.stringify(value)})`);
    }
    throw err;
  }
}

/** An integer setting within [min, max]. */
export function envInt(
  variable: string,
  options: SourceOptions & { default?: number; min?: number; max?: number } = {},
): number {
  const raw = readRaw(variable, options);
  if (raw.value === undefined) {
    if (options.default !== undefined) return options.default;
    throw new ConfigError(raw.from, 'is required but not set');
  }
  return parseInteger(raw.value, raw.from, options);
}

/** A port setting (0..65535, or 1..65535 with allowZero: false). */
export function envPort(
  variable: string,
  options: SourceOptions & { default?: number; allowZero?: boolean } = {},
): number {
  const raw = readRaw(variable, options);
  if (raw.value === undefined) {
    if (options.default !== undefined) return options.default;
    throw new ConfigError(raw.from, 'is required but not set');
  }
  return parsePort(raw.value, raw.from, options);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** A boolean setting: 1/true/yes/on or 0/false/no/off (case-insensitive). */
export function envBool(variable: string, options: SourceOptions & { default?: boolean } = {}): boolean {
  const raw = readRaw(variable, options);
  if (raw.value === undefined) {
    if (options.default !== undefined) return options.default;
    throw new ConfigError(raw.from, 'is required but not set');
  }
  const v = raw.value.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(raw.from, `must be a boolean: true/false, 1/0, yes/no, on/off (got ${raw.value})`);
}

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parse `host:port`, `[v6]:port`, or a bare host when `defaultPort` is given. IPv6 literals need
 * brackets when a port follows (RFC 3986 §3.2.2); the returned host has no brackets.
 */
export function parseHostPort(
  value: string,
  options: { name?: string; defaultPort?: number; allowZero?: boolean } = {},
): HostPort {
  const name = options.name ?? 'address';
  const text = value.trim();
  const fail = (detail: string): never => {
    throw new ConfigError(name, `${detail} (got ${JSON.stringify(value)})`);
  };
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) fail('unterminated IPv6 literal, expected [addr]:port');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) fail('expected ":port" after "]"');
      portText = rest.slice(1);
    }
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) {
      // A bare IPv6 literal cannot carry a port.
      host = text;
    } else if (colons === 1) {
      const i = text.indexOf(':');
      host = text.slice(0, i);
      portText = text.slice(i + 1);
    } else {
      host = text;
    }
  }
  if (host === '') fail('host is empty, expected host:port');
  if (/[\s/]/.test(host)) fail('host contains whitespace or "/", expected host:port');
  let port: number;
  if (portText === undefined) {
    if (options.defaultPort === undefined) fail('port missing, expected host:port');
    port = options.defaultPort as number;
  } else {
    port = parsePort(portText, name, { allowZero: options.allowZero });
  }
  return { host, port };
}

/** A host:port setting. */
export function envHostPort(
  variable: string,
  options: SourceOptions & { default?: HostPort; defaultPort?: number; allowZero?: boolean } = {},
): HostPort {
  const raw = readRaw(variable, options);
  if (raw.value === undefined) {
    if (options.default !== undefined) return options.default;
    throw new ConfigError(raw.from, 'is required but not set');
  }
  return parseHostPort(raw.value, {
    name: raw.from,
    defaultPort: options.defaultPort,
    allowZero: options.allowZero,
  });
}

/** Format a HostPort for URLs and logs, bracketing IPv6 literals. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
