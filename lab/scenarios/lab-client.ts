// A small client of the lab API for scenarios, the CLI and the tests: the same code drives the embedded
// lab and the Compose lab (only the URL differs).
import {
  authHeaders,
  DEFAULT_TRACE_CAPACITY,
  fetchFailureCause,
  type TraceResponse,
  traceRecordFromJson,
} from '../../runtime/index.js';
import { type ExternalPeer, peerNames } from '../api/node-directory.js';
import { type Hop, mergeNodeTraces } from '../trace/index.js';

export class LabRequestError extends Error {
  override readonly name = 'LabRequestError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface TopologyNode {
  name: string;
  role: 'cscf' | 'pf' | 'client';
  controlUrl: string;
}

/** A SIP server of the lab without a control API (an external CSCF). */
export type TopologyPeer = ExternalPeer;

export class LabClient {
  readonly url: string;
  readonly #timeoutMs: number;

  constructor(url: string, options: { timeoutMs?: number } = {}) {
    this.url = url.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers:
          body === undefined
            ? { accept: 'application/json', ...authHeaders() }
            : { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new LabRequestError(
        `cannot reach the lab API at ${this.url} (${fetchFailureCause(err)}) — is the lab running? (\`npm run lab\`)`,
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    if (!response.ok) {
      const message =
        typeof json === 'object' && json !== null && 'error' in json
          ? String((json as { error: unknown }).error)
          : text;
      throw new LabRequestError(`${method} ${path}: ${response.status} ${message}`, response.status);
    }
    return json as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }

  put<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body ?? {});
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async nodes(): Promise<TopologyNode[]> {
    return (await this.topology()).nodes;
  }

  /** SIP servers of the lab that are not nodes (an external CSCF such as Kamailio). */
  async peers(): Promise<TopologyPeer[]> {
    return (await this.topology()).peers;
  }

  /** The lab's nodes and peers, in one GET /topology. */
  async topology(): Promise<{ nodes: TopologyNode[]; peers: TopologyPeer[] }> {
    const t = await this.get<{ nodes: TopologyNode[]; peers?: TopologyPeer[] }>('/topology');
    return { nodes: t.nodes, peers: t.peers ?? [] };
  }

  /** A node's own control API, through the lab API's pass-through. */
  node(name: string): {
    get: <T>(p: string) => Promise<T>;
    post: <T>(p: string, b?: unknown) => Promise<T>;
    put: <T>(p: string, b?: unknown) => Promise<T>;
    delete: <T>(p: string) => Promise<T>;
  } {
    const base = `/nodes/${encodeURIComponent(name)}`;
    return {
      get: (p) => this.get(base + p),
      post: (p, b) => this.post(base + p, b),
      put: (p, b) => this.put(base + p, b),
      delete: (p) => this.delete(base + p),
    };
  }

  /** Each node's trace page after `since[node]` (its own ids), through the lab API's pass-through. */
  async #tracePages(
    query: (node: string) => string,
    nodes: readonly TopologyNode[],
  ): Promise<Array<{ node: string; page: TraceResponse }>> {
    return Promise.all(
      nodes.map(async (n) => ({
        node: n.name,
        page: await this.node(n.name).get<TraceResponse>(`/trace${query(n.name)}`),
      })),
    );
  }

  /** The merged timeline of every node's trace (records with id > since[node], if given). */
  async hops(since: Record<string, number> = {}): Promise<Hop[]> {
    const { nodes, peers } = await this.topology();
    const pages = await this.#tracePages(
      (node) => `?since=${since[node] ?? 0}&limit=${DEFAULT_TRACE_CAPACITY}`,
      nodes,
    );
    return mergeNodeTraces(
      pages.map(({ page }) => page.records.map(traceRecordFromJson)),
      { peerNames: peerNames(peers) },
    );
  }

  /** The latest trace id per node: a bookmark so a scenario sees only its own messages. */
  async traceBookmark(): Promise<Record<string, number>> {
    const pages = await this.#tracePages(() => '?limit=1', await this.nodes());
    return Object.fromEntries(pages.map(({ node, page }) => [node, page.latestId]));
  }
}

/**
 * Wait until `probe` returns a value that is not undefined/false, polling the lab (bounded by time). The
 * lab's state lives in other processes, so polling its API is the observation; there is no fixed sleep.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new LabRequestError(`timed out waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
