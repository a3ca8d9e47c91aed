// Best-response selection for a forking proxy (RFC 3261 §16.7 steps 4–6, §16.7 step 10 for 6xx).
import type { SipResponse } from '../message.js';

/**
 * RFC 3261 §16.7 step 6: among final non-2xx responses choose the best: a 6xx first; then 401/407 (so the
 * UAC can authenticate); then the lowest class (3xx, 4xx, 5xx), lowest code within a class. A chosen 503
 * is forwarded as 500 (the proxy must not propagate 503 upstream). Undefined when `responses` is empty.
 */
export function chooseBestResponse(responses: readonly SipResponse[]): SipResponse | undefined {
  if (responses.length === 0) return undefined;
  const rank = (r: SipResponse): number => {
    if (r.status >= 600) return 0;
    if (r.status === 401 || r.status === 407) return 1;
    if (r.status >= 300 && r.status < 400) return 2;
    if (r.status >= 400 && r.status < 500) return 3;
    return 4; // 5xx
  };
  let best = responses[0]!;
  for (const r of responses.slice(1)) {
    if (rank(r) < rank(best) || (rank(r) === rank(best) && r.status < best.status && r.status >= 300))
      best = r;
  }
  if (best.status === 503) {
    const copy = best.clone();
    copy.status = 500;
    copy.reason = 'Server Internal Error';
    return copy;
  }
  return best;
}

/**
 * RFC 3261 §16.7 steps 6–7: the best final response (chooseBestResponse) and, when it is a 401/407, the
 * WWW-Authenticate / Proxy-Authenticate values of every 401/407 collected into it. Returns a copy.
 */
export function selectFinalResponse(responses: readonly SipResponse[]): SipResponse | undefined {
  const best = chooseBestResponse(responses);
  if (!best) return undefined;
  const copy = responses.includes(best) ? best.clone() : best;
  if (copy.status !== 401 && copy.status !== 407) return copy;
  const seen = new Set([...copy.getAll('www-authenticate'), ...copy.getAll('proxy-authenticate')]);
  for (const r of responses) {
    if (r === best || (r.status !== 401 && r.status !== 407)) continue;
    for (const name of ['WWW-Authenticate', 'Proxy-Authenticate']) {
      for (const value of r.getAll(name)) {
        if (seen.has(value)) continue;
        seen.add(value);
        copy.append(name, value);
      }
    }
  }
  return copy;
}
