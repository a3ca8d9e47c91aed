// The control APIs' safety rules over real HTTP (README "Security model"): cross-site and foreign-Host
// requests refused, no state change from form bodies, the optional bearer token (and the console's cookie).
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiGuardOptions } from './api-guard.js';
import { createControlApi } from './control-api.js';
import { startControlServer } from './control-server.js';
import { createLogger } from './logger.js';
import { TraceRecorder } from './trace-recorder.js';

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

let changes = 0;

async function serve(guard: ApiGuardOptions): Promise<number> {
  const logger = createLogger('n', { env: {}, write: () => {} });
  const app = createControlApi({
    node: 'n',
    logger,
    state: () => ({ changes }),
    trace: new TraceRecorder({ node: 'n' }),
    guard,
    routes: (a) => {
      a.post('/offline', (_req, res) => {
        changes += 1;
        res.json({ ok: true });
      });
    },
  });
  const server = await startControlServer(app, { port: 0, logger });
  servers.push(server);
  return server.port;
}

/** A raw HTTP request, so that Host, Origin and cookies are exactly what a browser or attacker would send. */
function send(
  port: number,
  init: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: init.method ?? 'GET',
        path: init.path ?? '/state',
        headers: init.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('control API safety (hardening)', () => {
  it('DNS rebinding: a Host that is not this machine is refused (403); loopback names and allowed hosts pass', async () => {
    const port = await serve({ allowedHosts: ['pf'] });
    expect((await send(port, { headers: { host: `attacker.example:${port}` } })).status).toBe(403);
    expect((await send(port, { headers: { host: `127.0.0.1:${port}` } })).status).toBe(200);
    expect((await send(port, { headers: { host: `localhost:${port}` } })).status).toBe(200);
    expect((await send(port, { headers: { host: `pf:${port}` } })).status).toBe(200);
  });

  it('cross-site: an Origin other than the API itself is refused (403), even for a GET; the same origin passes', async () => {
    const port = await serve({});
    const host = `127.0.0.1:${port}`;
    const evil = await send(port, { headers: { host, origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.body).toMatch(/cross-site/);
    const before = changes;
    const post = await send(port, {
      method: 'POST',
      path: '/offline',
      headers: { host, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(403);
    expect(changes).toBe(before);
    expect((await send(port, { headers: { host, origin: `http://${host}` } })).status).toBe(200);
  });

  it('no state change on text/plain or form bodies (415); JSON and bodyless POSTs pass', async () => {
    const port = await serve({});
    const host = `127.0.0.1:${port}`;
    const before = changes;
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await send(port, {
        method: 'POST',
        path: '/offline',
        headers: { host, 'content-type': type },
        body: '',
      });
      expect(r.status, type).toBe(415);
    }
    expect(changes).toBe(before);
    expect(
      (
        await send(port, {
          method: 'POST',
          path: '/offline',
          headers: { host, 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(200);
    expect((await send(port, { method: 'POST', path: '/offline', headers: { host } })).status).toBe(200);
  });

  it('CPM_LAB_TOKEN: every request but /health needs the bearer token (401); the console cookie from ?token= works, SameSite=Strict', async () => {
    const port = await serve({ token: 's3cret' });
    const host = `pf:${port}`; // with a token, any Host (containers call each other by name)
    expect((await send(port, { path: '/health', headers: { host } })).status).toBe(200);
    const none = await send(port, { headers: { host } });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await send(port, { headers: { host, authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await send(port, { headers: { host, authorization: 'Bearer s3cret' } })).status).toBe(200);
    const opened = await send(port, { path: '/state?token=s3cret', headers: { host } });
    expect(opened.status).toBe(200);
    const cookie = String(opened.headers['set-cookie']);
    expect(cookie).toMatch(/cpm_lab_token=s3cret; HttpOnly; SameSite=Strict/);
    expect((await send(port, { headers: { host, cookie: 'cpm_lab_token=s3cret' } })).status).toBe(200);
    expect((await send(port, { headers: { host, cookie: 'cpm_lab_token=nope' } })).status).toBe(401);
    // The token never opens a door for a state change by query string.
    expect(
      (
        await send(port, {
          method: 'POST',
          path: '/offline?token=s3cret',
          headers: { host, 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(401);
  });
});
