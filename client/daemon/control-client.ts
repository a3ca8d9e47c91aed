// HTTP client for a client daemon's control API (used by the CLI verbs), and the lookup of a user's control URL:
// given directly (`--client-url`), or from the lab API's `GET /topology` (`--lab`), whose nodes list carries
// `{ name, role, controlUrl }`. Errors are typed and say what to do.

import { authHeaders, fetchFailureCause } from '../../runtime/index.js';

export type ControlErrorKind = 'unreachable' | 'http' | 'lab';

export class ControlApiError extends Error {
  override readonly name = 'ControlApiError';
  constructor(
    readonly kind: ControlErrorKind,
    message: string,
    /** The HTTP status for `http` errors. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** What the lab API's GET /topology is expected to hold (only these fields are read). */
export interface LabTopology {
  nodes: Array<{ name: string; role?: string; controlUrl?: string }>;
}

export interface ControlTarget {
  /** A daemon's control URL (`--client-url`); wins over `lab`. */
  clientUrl?: string;
  /** The lab API (`--lab`): the user's node is looked up in GET /topology. */
  lab?: string;
}

async function fetchJson(
  url: string,
  init: RequestInit,
  who: string,
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    const headers = { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) };
    response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    const cause = fetchFailureCause(err);
    throw new ControlApiError(
      'unreachable',
      `cannot reach ${who} at ${new URL(url).origin} (${cause}) — is the lab running? (\`npm run lab\`)`,
    );
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // not JSON: keep the text for the message
  }
  return { status: response.status, body };
}

/** The control URL of `user`'s client daemon. */
export async function resolveControlUrl(user: string, target: ControlTarget): Promise<string> {
  if (target.clientUrl) return target.clientUrl.replace(/\/+$/, '');
  if (!target.lab) {
    throw new ControlApiError('lab', `no control URL for ${user}: give --client-url or --lab`);
  }
  const lab = target.lab.replace(/\/+$/, '');
  const { status, body } = await fetchJson(`${lab}/topology`, {}, 'the lab API');
  if (status !== 200)
    throw new ControlApiError('lab', `the lab API answered ${status} to GET /topology`, status);
  const nodes = (body as Partial<LabTopology> | undefined)?.nodes;
  const node = Array.isArray(nodes) ? nodes.find((n) => n?.name === user) : undefined;
  if (!node?.controlUrl) throw new ControlApiError('lab', `the lab has no client node "${user}"`);
  // Through the lab API's pass-through: node URLs may only resolve inside the lab (Compose service names).
  return `${lab}/nodes/${encodeURIComponent(user)}`;
}

/** Typed calls to one client daemon. */
export class ClientControl {
  constructor(
    readonly user: string,
    readonly baseUrl: string,
  ) {}

  static async connect(user: string, target: ControlTarget): Promise<ClientControl> {
    return new ClientControl(user, await resolveControlUrl(user, target));
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const { status, body: answer } = await fetchJson(
      `${this.baseUrl}${path}`,
      init,
      `${this.user}'s control API`,
    );
    if (status >= 400) {
      const message =
        typeof answer === 'object' &&
        answer !== null &&
        typeof (answer as { error?: unknown }).error === 'string'
          ? (answer as { error: string }).error
          : `HTTP ${status}`;
      throw new ControlApiError('http', `${this.user}: ${message}`, status);
    }
    return answer as T;
  }
}
