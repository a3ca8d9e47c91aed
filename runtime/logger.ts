// A tiny structured logger: one line per record on stderr, human readable or JSON lines.
// CPM_LAB_LOG=error|warn|info|debug sets the level, CPM_LAB_LOG_FORMAT=text|json the format.

import { envString, type Env } from './config.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly node: string;
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record (e.g. `{component: 'registrar'}`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Default: CPM_LAB_LOG, else 'info'. */
  level?: LogLevel;
  /** JSON lines instead of text. Default: CPM_LAB_LOG_FORMAT=json. */
  json?: boolean;
  /** Where lines go (without the trailing newline added). Default: process.stderr. */
  write?: (line: string) => void;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
  /** Environment to read CPM_LAB_LOG / CPM_LAB_LOG_FORMAT from. Default: process.env. */
  env?: Env;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const RESERVED = new Set(['time', 'level', 'node', 'msg']);

/** The level named by CPM_LAB_LOG (ConfigError naming the variable if it is not a level). */
export function logLevelFromEnv(env: Env = process.env): LogLevel {
  return envString('CPM_LAB_LOG', { env, default: 'info', allowed: LOG_LEVELS });
}

export function createLogger(node: string, options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const level = options.level ?? logLevelFromEnv(env);
  const json =
    options.json ??
    envString('CPM_LAB_LOG_FORMAT', { env, default: 'text', allowed: ['text', 'json'] }) === 'json';
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  return makeLogger({ node, level, json, write, now }, {});
}

interface Sink {
  node: string;
  level: LogLevel;
  json: boolean;
  write: (line: string) => void;
  now: () => number;
}

function makeLogger(sink: Sink, bound: LogFields): Logger {
  const threshold = RANK[sink.level];
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[level] > threshold) return;
    const all = fields ? { ...bound, ...fields } : bound;
    let line: string;
    try {
      line = sink.json
        ? jsonLine(sink.now(), level, sink.node, message, all)
        : textLine(sink.now(), level, sink.node, message, all);
    } catch {
      line = `${new Date(sink.now()).toISOString()} ${level.toUpperCase()} ${sink.node} ${oneLine(message)} (unformattable fields)`;
    }
    try {
      sink.write(line);
    } catch {
      // Logging must never take a node down (e.g. EPIPE on stderr).
    }
  };
  return {
    node: sink.node,
    level: sink.level,
    enabled: (level) => RANK[level] <= threshold,
    error: (m, f) => log('error', m, f),
    warn: (m, f) => log('warn', m, f),
    info: (m, f) => log('info', m, f),
    debug: (m, f) => log('debug', m, f),
    child: (fields) => makeLogger(sink, { ...bound, ...fields }),
  };
}

function oneLine(text: string): string {
  return text.replace(/\r?\n|\r/g, '\\n');
}

/** Values as JSON-safe data: errors become {message, stack?}, buffers their length, bigints strings. */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code;
    return code
      ? { message: value.message, code, stack: value.stack }
      : { message: value.message, stack: value.stack };
  }
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function safeStringify(value: unknown): string {
  try {
    // `this[key]` is the value before toJSON() (Buffer.toJSON would spell out every byte).
    const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      const original = this[key];
      return Buffer.isBuffer(original) ? plain(original) : plain(v);
    });
    return text === undefined ? String(value) : text;
  } catch {
    return '"[unserializable]"';
  }
}

function jsonLine(time: number, level: LogLevel, node: string, msg: string, fields: LogFields): string {
  const record: LogFields = { time: new Date(time).toISOString(), level, node, msg };
  for (const [key, value] of Object.entries(fields)) {
    record[RESERVED.has(key) ? `field_${key}` : key] = value;
  }
  return safeStringify(record);
}

function textValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code;
    return JSON.stringify(code ? `${code}: ${value.message}` : value.message);
  }
  return safeStringify(value);
}

function textLine(time: number, level: LogLevel, node: string, msg: string, fields: LogFields): string {
  let line = `${new Date(time).toISOString()} ${level.toUpperCase().padEnd(5)} ${node} ${oneLine(msg)}`;
  for (const [key, value] of Object.entries(fields)) {
    line += ` ${key}=${textValue(value)}`;
  }
  // Error stacks go on the same line, escaped, so that one record stays one line.
  const err = Object.values(fields).find((v): v is Error => v instanceof Error);
  if (err?.stack && level === 'error') line += ` stack=${JSON.stringify(err.stack)}`;
  return line;
}
