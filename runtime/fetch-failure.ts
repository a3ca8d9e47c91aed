// Why a fetch() to another node failed, in a few words: undici wraps the socket error (ECONNREFUSED,
// ENOTFOUND, …) in `cause`; a refused URL (e.g. a port fetch blocks) has only a message there.

export function fetchFailureCause(err: unknown): string {
  const inner = (err as { cause?: { code?: string; message?: string } }).cause;
  return inner?.code ?? inner?.message ?? (err as Error).message;
}
