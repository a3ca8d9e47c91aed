// One HTTP listener for the control APIs of many nodes of one process (an embedded lab's clients without a
// control port of their own): each app is mounted at `/clients/<name>`, sees its requests with that prefix
// removed, and is reached at `<host url>/clients/<name>`. A listener per client cost a descriptor and a bind()
// to a free port each, and past a few thousand listeners on one address Linux takes milliseconds per bind.
// An app is built on its first request: building an Express app with a node's routes costs ~0.4 ms, a fifth
// of a client's start-up, and most clients of a large lab are never asked anything.
import type { RequestListener, ServerResponse } from 'node:http';
import { type ControlServer, startControlServer } from './control-server.js';
import type { Logger } from './logger.js';
import { sseHubOf } from './sse.js';

export interface ControlHost {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** Serve the app `build` makes (on the first request) at `/clients/<name>`; returns its base URL. */
  mount(name: string, build: () => RequestListener & object): string;
  /** Stop serving `name`: its event streams end; requests already running finish. */
  unmount(name: string): void;
  /** Close the listener (and every mounted app's event streams). */
  close(): Promise<void>;
}

const PREFIX = '/clients/';

/** The control APIs' error shape (`{ "error": … }`), for requests no mounted app gets to see. */
function sendJsonError(res: ServerResponse, status: number, error: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error }));
}

export async function startControlHost(options: {
  host?: string;
  port?: number;
  logger?: Logger;
}): Promise<ControlHost> {
  /** Per name: how to build its app, and the app once built. */
  const apps = new Map<string, { build: () => RequestListener & object; app?: RequestListener & object }>();
  const dispatch: RequestListener = (req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(PREFIX)) {
      sendJsonError(res, 404, `no node at ${url.split('?')[0]}: node control APIs are at ${PREFIX}<name>`);
      return;
    }
    const end = url.slice(PREFIX.length).search(/[/?]/);
    const encoded = end < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, PREFIX.length + end);
    let name: string;
    try {
      name = decodeURIComponent(encoded);
    } catch {
      sendJsonError(res, 400, 'bad node name in the path');
      return;
    }
    const mounted = apps.get(name);
    if (!mounted) {
      sendJsonError(res, 404, `no node "${name}" here`);
      return;
    }
    const rest = end < 0 ? '' : url.slice(PREFIX.length + end);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    try {
      mounted.app ??= mounted.build();
    } catch (err) {
      // Never past the server's request handler: the node answers 500, the listener keeps serving the others.
      options.logger?.error('control API could not be built', { node: name, err });
      sendJsonError(res, 500, 'internal error');
      return;
    }
    mounted.app(req, res);
  };
  const server: ControlServer = await startControlServer(dispatch, {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    url: server.url,
    mount(name, build) {
      if (apps.has(name)) throw new Error(`control host: "${name}" is already mounted`);
      apps.set(name, { build });
      return `${server.url}${PREFIX}${encodeURIComponent(name)}`;
    },
    unmount(name) {
      const mounted = apps.get(name);
      if (!mounted) return;
      apps.delete(name);
      if (mounted.app) sseHubOf(mounted.app).closeAll();
    },
    async close() {
      for (const { app } of apps.values()) if (app) sseHubOf(app).closeAll();
      apps.clear();
      await server.close();
    },
  };
}
