// One HTTP listener for the control APIs of many nodes of one process (an embedded lab's clients without a
// control port of their own): each app is mounted at `/clients/<name>`, sees its requests with that prefix
// removed, and is reached at `<host url>/clients/<name>`. A listener per client cost a descriptor and a bind()
// to a free port each, and past a few thousand listeners on one address Linux takes milliseconds per bind.
import type { RequestListener, ServerResponse } from 'node:http';
import { type ControlServer, startControlServer } from './control-server.js';
import type { Logger } from './logger.js';
import { sseHubOf } from './sse.js';

export interface ControlHost {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** Serve `app` at `/clients/<name>`; returns its base URL. A name is mounted once. */
  mount(name: string, app: RequestListener & object): string;
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
  const apps = new Map<string, RequestListener & object>();
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
    const app = apps.get(name);
    if (!app) {
      sendJsonError(res, 404, `no node "${name}" here`);
      return;
    }
    const rest = end < 0 ? '' : url.slice(PREFIX.length + end);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    app(req, res);
  };
  const server: ControlServer = await startControlServer(dispatch, {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    url: server.url,
    mount(name, app) {
      if (apps.has(name)) throw new Error(`control host: "${name}" is already mounted`);
      apps.set(name, app);
      return `${server.url}${PREFIX}${encodeURIComponent(name)}`;
    },
    unmount(name) {
      const app = apps.get(name);
      if (!app) return;
      apps.delete(name);
      sseHubOf(app).closeAll();
    },
    async close() {
      for (const app of apps.values()) sseHubOf(app).closeAll();
      apps.clear();
      await server.close();
    },
  };
}
