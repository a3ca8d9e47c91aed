// UA fixtures for tests: user agents on 127.0.0.1 with ephemeral ports and small timers.
import type { TransportKind } from '../transport/index.js';
import { type ListenOptions, UserAgent } from '../ua/index.js';

/** T1 small so that retransmission and 64*T1 timeouts happen within a test (RFC 3261 §17.1.1.1). */
export const FAST_TIMERS = { t1: 20, t2: 160, t4: 200 };

export function startUa(user: string, options: ListenOptions = {}): Promise<UserAgent> {
  return UserAgent.listen({ aor: `sip:${user}@ims.lab`, timers: FAST_TIMERS, ...options });
}

/** `sip:user@127.0.0.1:port` of `ua`'s listener for `transport` (with `;transport=tcp` for TCP). */
export function uriOf(ua: UserAgent, user: string, transport: TransportKind): string {
  const sentBy = ua.transport.sentBy(transport);
  if (!sentBy) throw new Error(`no ${transport} listener`);
  return `sip:${user}@${sentBy.address}:${sentBy.port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
}

/** The listener of `ua` as a next hop. */
export function hopOf(
  ua: UserAgent,
  transport: TransportKind,
): { transport: TransportKind; address: string; port: number } {
  const sentBy = ua.transport.sentBy(transport);
  if (!sentBy) throw new Error(`no ${transport} listener`);
  return { transport, address: sentBy.address, port: sentBy.port };
}

/** Resolves with the arguments of the next `event` emission. */
export function nextEvent<T extends unknown[]>(
  emitter: { once(event: string, listener: (...args: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}
