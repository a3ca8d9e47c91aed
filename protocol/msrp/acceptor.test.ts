// The receiver's acceptor (MsrpSession.acceptor): the final 200 of a message waits until the application has
// taken responsibility for it (RFC 4975 §7.3), e.g. a store-and-forward server committing it to disk.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { MsrpSendError } from './errors.js';
import type { MsrpMessage, MsrpSessionOptions } from './session.js';
import { msrpSessionPair } from './test-support/session-pair.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pair(sb: Partial<MsrpSessionOptions>) {
  const p = await msrpSessionPair({ sb });
  cleanups.push(p.close);
  return { sa: p.sa, sb: p.sb };
}

describe('RFC 4975 §7.3: the final 200 waits for the acceptor', () => {
  it('send() resolves only after the acceptor resolved; the message event follows', async () => {
    let release!: () => void;
    let called!: () => void;
    const acceptorCalled = new Promise<void>((resolve) => {
      called = resolve;
    });
    const seen: string[] = [];
    const { sa, sb } = await pair({
      acceptor: (m) =>
        new Promise<undefined>((resolve) => {
          seen.push(`accept ${m.body.toString()}`);
          release = () => resolve(undefined);
          called();
        }),
    });
    sb.on('message', (m: MsrpMessage) => seen.push(`event ${m.body.toString()}`));
    let settled = false;
    const sending = sa.send('x'.repeat(5000), { contentType: 'text/plain' }).then(() => {
      settled = true;
    });
    // Every chunk before the last one is answered at once; the last waits for the acceptor.
    await acceptorCalled;
    expect(seen).toEqual([`accept ${'x'.repeat(5000)}`]);
    expect(settled).toBe(false);
    release();
    await sending;
    expect(seen).toEqual([`accept ${'x'.repeat(5000)}`, `event ${'x'.repeat(5000)}`]);
  });

  it('a status from the acceptor replaces the 200, and the message is not emitted', async () => {
    const { sa, sb } = await pair({ acceptor: () => 415 });
    let emitted = false;
    sb.on('message', () => {
      emitted = true;
    });
    const error = await sa.send('refuse me', { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MsrpSendError);
    expect((error as MsrpSendError).status).toBe(415);
    expect(emitted).toBe(false);
  });

  it('an acceptor that throws answers 500; the session keeps working', async () => {
    let fail = true;
    const { sa, sb } = await pair({
      acceptor: async () => {
        if (fail) throw new Error('disk full');
        return undefined;
      },
    });
    const error = await sa.send('one', { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect((error as MsrpSendError).status).toBe(500);
    fail = false;
    const next = once(sb, 'message');
    await sa.send('two', { contentType: 'text/plain' });
    expect(((await next)[0] as MsrpMessage).body.toString()).toBe('two');
  });
});
