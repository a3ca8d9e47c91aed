// For tests: two MSRP endpoints on loopback and a session on each, bound to each other (RFC 6135: `a` active,
// `b` passive). The caller closes the endpoints (`close`).
import { MsrpEndpoint, type MsrpEndpointOptions } from '../endpoint.js';
import type { MsrpSession, MsrpSessionOptions } from '../session.js';

export interface SessionPair {
  a: MsrpEndpoint;
  b: MsrpEndpoint;
  sa: MsrpSession;
  sb: MsrpSession;
  close(): Promise<void>;
}

export async function msrpSessionPair(
  opts: {
    a?: MsrpEndpointOptions;
    b?: MsrpEndpointOptions;
    sa?: Partial<MsrpSessionOptions>;
    sb?: Partial<MsrpSessionOptions>;
  } = {},
): Promise<SessionPair> {
  const a = await MsrpEndpoint.listen(opts.a ?? {});
  const b = await MsrpEndpoint.listen(opts.b ?? {});
  const close = async () => {
    await a.close();
    await b.close();
  };
  try {
    const sa = a.createSession({ setup: 'active', ...opts.sa });
    const sb = b.createSession({ setup: 'passive', ...opts.sb });
    await Promise.all([sb.start(sa.localPath), sa.start(sb.localPath)]);
    return { a, b, sa, sb, close };
  } catch (err) {
    await close();
    throw err;
  }
}
