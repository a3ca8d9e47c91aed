// Calls to the lab API (same origin): JSON in and out, errors carry the API's message.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/**
 * One call. A request that fails without an answer (the browser reports a network change, the lab API
 * restarts) is tried once more when it is safe to repeat: GET and PUT always, POST when `idempotent`
 * (going online or offline, ending a session), never for sending a message.
 */
export async function api(method, path, body, { idempotent = method === 'GET' || method === 'PUT' } = {}) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  let response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(path, init);
      break;
    } catch (err) {
      if (!idempotent || attempt >= 2) {
        throw new ApiError(`${method} ${path}: the lab API does not answer (${err.message})`, 0);
      }
    }
  }
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if (!response.ok) {
    const message = json && typeof json === 'object' && 'error' in json ? json.error : text;
    throw new ApiError(`${method} ${path}: ${response.status} ${message}`, response.status);
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}, options = {}) => api('POST', path, body, options);
export const put = (path, body = {}) => api('PUT', path, body);
export const del = (path) => api('DELETE', path, undefined, { idempotent: true });

/** A node's control API through the lab API's pass-through. */
export function node(name) {
  const base = `/nodes/${encodeURIComponent(name)}`;
  return {
    get: (p) => get(base + p),
    post: (p, b, options) => post(base + p, b, options),
    put: (p, b) => put(base + p, b),
    delete: (p) => del(base + p),
  };
}

/** Poll `probe` until it returns a truthy value (the lab's state lives in other processes). */
export async function waitFor(what, probe, { timeoutMs = 15000, intervalMs = 150 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (${lastError.message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
