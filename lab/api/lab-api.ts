// The lab API (architecture.md "Control plane"): one HTTP surface over every node for the CLI, the
// scenarios, the tests and the console. It aggregates state and trace, and passes node actions through.
import type { Express, Request, Response } from 'express';
import {
  authHeaders,
  queryInt,
  createControlApi,
  requireString,
  fetchFailureCause,
  HttpError,
  type Logger,
  NodeEvents,
  TraceRecorder,
  type TraceRecordJson,
} from '../../runtime/index.js';
import type { ExternalPeer, LabNode } from './node-directory.js';

const CANNOT_CREATE =
  "this lab cannot create clients (they are separate processes or containers): add the roles' users to its topology";

export interface LabApiOptions {
  nodes: readonly LabNode[];
  /** SIP servers that are not lab nodes (an external CSCF): listed by GET /topology, named in traces. */
  peers?: readonly ExternalPeer[];
  logger: Logger;
  /** Extra facts for GET /topology (groups, domain, SIP/MSRP addresses of the embedded lab). */
  describe?: () => unknown;
  /** Per-request timeout toward a node, ms. */
  nodeTimeoutMs?: number;
  /** Extra routes (the embedded runner adds /reset, the console its assets). */
  routes?: (app: Express) => void;
  /**
   * Clients created at run time (a scenario's roles "created for the run": POST/DELETE /clients). The
   * embedded lab can; a lab of separate processes or containers cannot (501).
   */
  clients?: ClientFactory;
}

export interface ClientFactory {
  /** Start a client named `user`, registered, and add it to the nodes. */
  create(user: string): Promise<LabNode>;
  /** Stop a client `create` started (it de-registers) and drop it from the nodes. */
  remove(user: string): Promise<void>;
}

/** A SIP user part the lab's clients may take (lower case, as the topology's). */
const CLIENT_NAME = /^[a-z][a-z0-9._-]{0,31}$/;

export interface NodeTrace {
  node: string;
  records: TraceRecordJson[];
}

export class NodeUnreachableError extends HttpError {
  constructor(node: LabNode, cause: string) {
    super(502, `cannot reach ${node.name}'s control API at ${node.controlUrl}: ${cause}`);
  }
}

/** Fetch JSON from a node; a refused connection or timeout becomes a 502 naming the node. */
export async function nodeFetch(
  node: LabNode,
  path: string,
  init: RequestInit = {},
  timeoutMs = 5000,
): Promise<globalThis.Response> {
  try {
    const headers = { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) };
    return await fetch(node.controlUrl + path, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new NodeUnreachableError(node, fetchFailureCause(err));
  }
}

export function createLabApi(options: LabApiOptions): Express {
  const { nodes, logger } = options;
  const timeout = options.nodeTimeoutMs ?? 5000;
  // Looked up on each request: the embedded lab adds and removes clients created for scenario runs.
  const nodeOf = (name: string): LabNode => {
    const node = nodes.find((n) => n.name === name);
    if (!node)
      throw new HttpError(404, `no node named "${name}" (nodes: ${nodes.map((n) => n.name).join(', ')})`);
    return node;
  };
  // The lab API has no wire trace of its own; its /trace is the merge of the nodes' (below).
  const ownTrace = new TraceRecorder({ node: 'lab', capacity: 1 });
  const events = new NodeEvents('lab');

  return createControlApi({
    node: 'lab',
    logger,
    trace: ownTrace,
    events,
    state: async () => ({
      nodes: Object.fromEntries(await Promise.all(nodes.map(async (n) => [n.name, await stateOf(n)]))),
    }),
    routes: (app) => {
      app.get('/topology', (_req, res) => {
        res.json({
          nodes,
          peers: options.peers ?? [],
          ...(options.describe ? { lab: options.describe() } : {}),
        });
      });
      // Each node's trace records, for merging (lab/trace) by the caller or the console.
      app.get('/traces', async (req, res) => {
        const sinceId = queryInt(req.query, 'since', { min: 0 });
        const limit = queryInt(req.query, 'limit', { min: 1, max: 10_000 }) ?? 10_000;
        const traces: NodeTrace[] = await Promise.all(
          nodes.map(async (n) => {
            const query = `?limit=${limit}${sinceId === undefined ? '' : `&since=${sinceId}`}`;
            const r = await nodeFetch(n, `/trace${query}`, {}, timeout);
            const body = (await r.json()) as { records: TraceRecordJson[] };
            return { node: n.name, records: body.records };
          }),
        );
        res.json({ traces });
      });
      // Clients created for a scenario run (POST) and removed after it (DELETE).
      app.post('/clients', async (req: Request, res: Response) => {
        if (!options.clients) throw new HttpError(501, CANNOT_CREATE);
        const user = requireString(req.body, 'user');
        if (!CLIENT_NAME.test(user))
          throw new HttpError(400, `user: "${user}" is not a lower-case SIP user part`);
        if (nodes.some((n) => n.name === user))
          throw new HttpError(409, `there is a node named "${user}" already`);
        res.status(201).json(await options.clients.create(user));
      });
      app.delete('/clients/:user', async (req: Request, res: Response) => {
        if (!options.clients) throw new HttpError(501, CANNOT_CREATE);
        nodeOf(String(req.params.user));
        await options.clients.remove(String(req.params.user));
        res.status(204).end();
      });
      // Pass-through: /nodes/<name>/<path> → that node's control API, method and JSON body kept.
      app.all('/nodes/:name/*path', async (req: Request, res: Response) => {
        const node = nodeOf(String(req.params.name));
        // The rest of the URL as it came (still encoded): everything after `/nodes/<name, encoded or not>`.
        const rest = req.originalUrl.replace(/^\/nodes\/[^/?]*/, '');
        if (
          req.method === 'GET' &&
          (/^\/events(\?|$)/.test(rest) || /text\/event-stream/.test(req.headers.accept ?? ''))
        ) {
          await streamEvents(node, rest, req, res);
          return;
        }
        const init: RequestInit = { method: req.method, headers: { accept: 'application/json' } };
        if (!['GET', 'HEAD'].includes(req.method) && req.body !== undefined) {
          init.body = JSON.stringify(req.body);
          init.headers = { 'content-type': 'application/json', accept: 'application/json' };
        }
        const upstream = await nodeFetch(node, rest, init, timeout);
        res.status(upstream.status);
        res.type(upstream.headers.get('content-type') ?? 'application/json');
        res.send(Buffer.from(await upstream.arrayBuffer()));
      });
      options.routes?.(app);
    },
  });

  async function stateOf(node: LabNode): Promise<unknown> {
    try {
      const r = await nodeFetch(node, '/state', {}, timeout);
      return await r.json();
    } catch (err) {
      logger.warn('node state unavailable', { node: node.name, error: (err as Error).message });
      return { error: (err as Error).message };
    }
  }
}

/**
 * A node's server-sent event stream passed through as it comes (never buffered, no timeout): it ends when
 * either side goes. Last-Event-ID is passed on, so a reconnecting EventSource resumes where it left off.
 */
async function streamEvents(node: LabNode, path: string, req: Request, res: Response): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const lastId = req.headers['last-event-id'];
  let upstream: globalThis.Response;
  try {
    upstream = await fetch(node.controlUrl + path, {
      headers: {
        accept: 'text/event-stream',
        ...authHeaders(),
        ...(typeof lastId === 'string' ? { 'last-event-id': lastId } : {}),
      },
      signal: abort.signal,
    });
  } catch (err) {
    throw new NodeUnreachableError(node, fetchFailureCause(err));
  }
  res.status(upstream.status);
  res.setHeader('content-type', upstream.headers.get('content-type') ?? 'text/event-stream');
  res.setHeader('cache-control', 'no-cache');
  res.flushHeaders();
  try {
    for await (const chunk of upstream.body ?? []) res.write(chunk);
  } catch {
    // The client or the node went away: the stream is over.
  }
  res.end();
}
