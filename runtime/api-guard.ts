// The control APIs' safety rules (README "Security model"). They bind to 127.0.0.1 by default; on top of that
// every request passes these checks before any route:
// - cross-site: a request with an Origin that is not the API's own origin is refused (403);
// - DNS rebinding: without a token, the Host must name this machine (a loopback name or address, the address
//   the request arrived on, or one of CPM_LAB_ALLOWED_HOSTS); a name that merely resolves here is refused (403);
// - no state change from forms: POST/PUT/PATCH/DELETE take JSON or no body at all (415 otherwise);
// - optional token (CPM_LAB_TOKEN): every request but GET /health carries `Authorization: Bearer <token>` (or
//   the console's SameSite=Strict cookie, set by opening the console with `?token=`); 401 otherwise.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from './validate.js';

export interface ApiGuardOptions {
  /** Shared secret; undefined: no token (then the Host check applies). */
  token?: string | undefined;
  /** Extra Host names accepted without a token (e.g. a container's service name). */
  allowedHosts?: readonly string[];
}

export const TOKEN_COOKIE = 'cpm_lab_token';
const LOOPBACK_NAMES = new Set(['localhost', '::1']);
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The guard options from the environment: CPM_LAB_TOKEN and CPM_LAB_ALLOWED_HOSTS (comma-separated). */
export function guardOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiGuardOptions {
  const token = env.CPM_LAB_TOKEN?.trim() || undefined;
  const allowedHosts = (env.CPM_LAB_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return { token, allowedHosts };
}

/** Headers a caller of another node's (or the lab's) control API sends: the bearer token when one is set. */
export function authHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const token = env.CPM_LAB_TOKEN?.trim();
  return token ? { authorization: `Bearer ${token}` } : {};
}

export function apiGuard(options: ApiGuardOptions): RequestHandler {
  const allowed = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  const token = options.token;
  return (req: Request, res: Response, next: NextFunction) => {
    // GET /health tells only that the node is up: open to every health checker (HTTP/1.0, no Host, no token).
    if (req.method === 'GET' && req.path === '/health') {
      next();
      return;
    }
    const host = req.headers.host;
    if (!host) throw new HttpError(400, 'a Host header is required');
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, host)) {
      throw new HttpError(403, `cross-site request refused (Origin ${origin} is not this API)`);
    }
    if (token === undefined) {
      const name = hostname(host);
      if (!isLoopback(name) && name !== localAddress(req) && !allowed.has(name)) {
        throw new HttpError(
          403,
          `Host ${host} is not this machine (DNS rebinding protection): use 127.0.0.1, or set CPM_LAB_ALLOWED_HOSTS or CPM_LAB_TOKEN`,
        );
      }
    } else if (!authorized(req, res, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="cpm-lab"');
      throw new HttpError(401, 'this lab requires its token: Authorization: Bearer <CPM_LAB_TOKEN>');
    }
    if (STATE_CHANGING.has(req.method)) {
      const type = req.headers['content-type'];
      if (type !== undefined && !/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type)) {
        throw new HttpError(
          415,
          `state changes take a JSON body (Content-Type: application/json), not ${type}`,
        );
      }
    }
    next();
  };
}

function authorized(req: Request, res: Response, token: string): boolean {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m !== null && equal(m[1]!, token);
  }
  const cookie = cookieValue(req.headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined) return equal(cookie, token);
  // The console is opened once with ?token=…; the browser keeps it in a same-site, script-proof cookie.
  const query = req.query.token;
  if (req.method === 'GET' && typeof query === 'string' && equal(query, token)) {
    res.setHeader(
      'Set-Cookie',
      `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
    );
    return true;
  }
  return false;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The host name of a Host header value (`[::1]:8080` → `::1`), lower case. */
function hostname(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

function isLoopback(name: string): boolean {
  return (
    LOOPBACK_NAMES.has(name) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || name.endsWith('.localhost')
  );
}

function localAddress(req: Request): string | undefined {
  return req.socket.localAddress?.replace(/^::ffff:/, '').toLowerCase();
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host.trim().toLowerCase();
  } catch {
    return false;
  }
}
