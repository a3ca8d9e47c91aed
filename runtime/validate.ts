// Tiny schema helpers for control-API request bodies and query strings. Each throws a ValidationError
// (HTTP 400) whose message names the field; the control API's error handler turns it into {error}.

/** An error with an HTTP status whose message is safe to show to the client. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ValidationError extends HttpError {
  override readonly name = 'ValidationError';
  constructor(message: string) {
    super(400, message);
  }
}

export type JsonObject = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** The request body as an object (express.json leaves it undefined without a JSON content type). */
export function requireObject(body: unknown, what = 'request body'): JsonObject {
  if (body === undefined) {
    throw new ValidationError(`${what} must be a JSON object (send Content-Type: application/json)`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError(`${what} must be a JSON object, got ${describe(body)}`);
  }
  return body as JsonObject;
}

function field(body: unknown, key: string): unknown {
  return requireObject(body)[key];
}

/** A required string field, optionally one of `allowed`. Empty strings are rejected. */
export function requireString<const T extends string = string>(
  body: unknown,
  key: string,
  allowed?: readonly T[],
): T {
  const value = field(body, key);
  if (value === undefined) {
    throw new ValidationError(
      allowed ? `"${key}" is required (one of ${allowed.join(', ')})` : `"${key}" is required`,
    );
  }
  return checkString(key, value, allowed);
}

/** An optional string field: undefined when absent or null. */
export function optionalString<const T extends string = string>(
  body: unknown,
  key: string,
  allowed?: readonly T[],
): T | undefined {
  const value = field(body, key);
  if (value === undefined || value === null) return undefined;
  return checkString(key, value, allowed);
}

/**
 * CR, LF and NUL end a SIP or MSRP header line (and a CPIM one): a field that may reach a header never carries
 * them. Every string field of the control APIs is such a field, except free text (requireText).
 */
const LINE_BREAKING = /[\r\n\0]/;

/** The most characters of a one-line field (names, URIs, IDs, subjects). */
export const MAX_FIELD_LENGTH = 1024;

function checkOneLine(key: string, value: string): void {
  if (LINE_BREAKING.test(value)) {
    throw new ValidationError(
      `"${key}" must be one line: CR, LF and NUL are not allowed (they would break a header)`,
    );
  }
  if (value.length > MAX_FIELD_LENGTH) {
    throw new ValidationError(`"${key}" must be at most ${MAX_FIELD_LENGTH} characters, got ${value.length}`);
  }
}

/**
 * A required free-text field (a chat message's text): it travels as a body, so line breaks are kept; NUL
 * is refused, and the length is bounded (characters).
 */
export function requireText(body: unknown, key: string, options: { maxLength?: number } = {}): string {
  const value = field(body, key);
  if (value === undefined) throw new ValidationError(`"${key}" is required`);
  if (typeof value !== 'string')
    throw new ValidationError(`"${key}" must be a string, got ${describe(value)}`);
  if (value === '') throw new ValidationError(`"${key}" must not be empty`);
  if (value.includes('\0')) throw new ValidationError(`"${key}" must not contain NUL`);
  const max = options.maxLength ?? 64 * 1024;
  if (value.length > max)
    throw new ValidationError(`"${key}" must be at most ${max} characters, got ${value.length}`);
  return value;
}

/** A path parameter or query value that reaches SIP (a user name, a group reference): one line, bounded. */
export function checkParam(key: string, value: string): string {
  checkOneLine(key, value);
  return value;
}

function checkString<T extends string>(key: string, value: unknown, allowed?: readonly T[]): T {
  if (typeof value !== 'string')
    throw new ValidationError(`"${key}" must be a string, got ${describe(value)}`);
  checkOneLine(key, value);
  if (allowed) {
    if (!allowed.includes(value as T)) {
      throw new ValidationError(`"${key}" must be one of ${allowed.join(', ')}, got ${describe(value)}`);
    }
  } else if (value === '') {
    throw new ValidationError(`"${key}" must not be empty`);
  }
  return value as T;
}

export interface IntRange {
  min?: number;
  max?: number;
}

/** A required integer field within [min, max]. */
export function requireInt(body: unknown, key: string, range: IntRange = {}): number {
  const value = field(body, key);
  if (value === undefined) throw new ValidationError(`"${key}" is required`);
  return checkInt(key, value, range);
}

export function optionalInt(body: unknown, key: string, range: IntRange = {}): number | undefined {
  const value = field(body, key);
  if (value === undefined || value === null) return undefined;
  return checkInt(key, value, range);
}

function checkInt(key: string, value: unknown, range: IntRange): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ValidationError(`"${key}" must be an integer, got ${describe(value)}`);
  }
  return checkRange(`"${key}"`, value, range);
}

function checkRange(label: string, value: number, range: IntRange): number {
  if (range.min !== undefined && value < range.min) {
    throw new ValidationError(`${label} must be at least ${range.min}, got ${value}`);
  }
  if (range.max !== undefined && value > range.max) {
    throw new ValidationError(`${label} must be at most ${range.max}, got ${value}`);
  }
  return value;
}

export function requireBoolean(body: unknown, key: string): boolean {
  const value = field(body, key);
  if (value === undefined) throw new ValidationError(`"${key}" is required`);
  if (typeof value !== 'boolean')
    throw new ValidationError(`"${key}" must be true or false, got ${describe(value)}`);
  return value;
}

export function optionalBoolean(body: unknown, key: string): boolean | undefined {
  const value = field(body, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean')
    throw new ValidationError(`"${key}" must be true or false, got ${describe(value)}`);
  return value;
}

/** A required array of non-empty strings (e.g. participant URIs). */
export function requireStringArray(
  body: unknown,
  key: string,
  options: { minItems?: number; maxItems?: number } = {},
): string[] {
  const value = field(body, key);
  if (value === undefined) throw new ValidationError(`"${key}" is required`);
  if (!Array.isArray(value))
    throw new ValidationError(`"${key}" must be an array of strings, got ${describe(value)}`);
  if (options.minItems !== undefined && value.length < options.minItems) {
    throw new ValidationError(`"${key}" must have at least ${options.minItems} item(s), got ${value.length}`);
  }
  if (options.maxItems !== undefined && value.length > options.maxItems) {
    throw new ValidationError(`"${key}" must have at most ${options.maxItems} item(s), got ${value.length}`);
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') {
      throw new ValidationError(`"${key}[${i}]" must be a non-empty string, got ${describe(item)}`);
    }
    checkOneLine(`${key}[${i}]`, item);
  });
  return value as string[];
}

/**
 * An optional integer query parameter (`?limit=10`); 400 if not a decimal integer in range or repeated.
 * Express 5's default query parser yields string | string[] values.
 */
export function queryInt(query: unknown, key: string, range: IntRange = {}): number | undefined {
  const value = (query as JsonObject | undefined)?.[key];
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value)) throw new ValidationError(`query parameter "${key}" must be given once`);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new ValidationError(
      `query parameter "${key}" must be a non-negative integer, got ${describe(value)}`,
    );
  }
  return checkRange(`query parameter "${key}"`, Number(value), range);
}
