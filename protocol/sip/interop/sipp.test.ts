// SIPp (sip-tester) as a real peer of the UA layer: its built-in uac/uas scenarios and the REGISTER digest
// scenario, over UDP and TCP. A missing sipp binary fails these tests (assertSippInstalled), never skips them.
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { installRegistrar } from '../test-support/registrar.js';
import {
  type SippResult,
  SIPP_SCENARIOS,
  assertSippInstalled,
  startSipp,
  waitForTcpListener,
} from '../test-support/sipp.js';
// A test may reach up to runtime for a helper; protocol sources never do.
import { freePort } from '../../../runtime/ports.js';
import { startUa } from '../test-support/ua.js';
import type { TransportKind } from '../transport/index.js';
import type { InviteSession, UserAgent } from '../ua/index.js';

const ANSWER =
  'v=0\r\no=ua 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
const OFFER =
  'v=0\r\no=ua 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6002 RTP/AVP 0\r\n';
const SIPP_MODE: Record<TransportKind, string> = { udp: 'u1', tcp: 't1' };

function report(result: SippResult): string {
  return `SIPp exited with ${result.code}\n--- stdout ---\n${result.stdout.slice(-6000)}\n--- stderr ---\n${result.stderr}`;
}

async function withUa<T>(ua: UserAgent, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    await ua.close();
  }
}

beforeAll(() => {
  assertSippInstalled();
});

// The uas scenario ends with a 4 s timewait; the cases run concurrently to keep the suite short.
describe.concurrent('SIPp interop', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`RFC 3261 §13.3: SIPp built-in uac (-sn uac, ${transport}) → INVITE/200/ACK/BYE against a UAS on the stack`, async ({
      expect,
    }) => {
      const ua = await startUa('service');
      await withUa(ua, async () => {
        const session = new Promise<InviteSession>((resolve) => {
          ua.on('INVITE', async (_req, res) => {
            await res.progress(180);
            resolve(await res.accept({ body: ANSWER, contentType: 'application/sdp' }));
          });
        });
        const port = ua.transport.sentBy(transport)!.port;
        const sipp = startSipp([
          `127.0.0.1:${port}`,
          '-sn',
          'uac',
          '-t',
          SIPP_MODE[transport],
          '-i',
          '127.0.0.1',
          '-p',
          String(await freePort()),
          '-s',
          'service',
          '-m',
          '1',
        ]);
        const result = await sipp.done;
        expect(result.code, report(result)).toBe(0);
        const s = await session;
        expect((await s.acked).method).toBe('ACK'); // §13.3.1.4: SIPp's ACK reached the session
        expect(await s.ended).toBe('remote-bye');
      });
    });

    it(`RFC 3261 §13.2: a UAC on the stack → SIPp built-in uas (-sn uas, ${transport}): 180, 200, ACK, BYE`, async ({
      expect,
    }) => {
      const sippPort = await freePort();
      const sipp = startSipp([
        '-sn',
        'uas',
        '-t',
        SIPP_MODE[transport],
        '-i',
        '127.0.0.1',
        '-p',
        String(sippPort),
        '-m',
        '1',
      ]);
      // TCP: wait until SIPp listens; UDP: the INVITE's Timer A retransmissions cover SIPp's start-up.
      if (transport === 'tcp') await waitForTcpListener(sippPort);
      const ua = await startUa('alice', { timers: { t1: 100, t2: 400, t4: 500 } });
      await withUa(ua, async () => {
        const provisional: number[] = [];
        const call = ua.invite(
          `sip:service@127.0.0.1:${sippPort}${transport === 'tcp' ? ';transport=tcp' : ''}`,
          {
            body: OFFER,
            contentType: 'application/sdp',
            onProvisional: (r) => provisional.push(r.status),
          },
        );
        const session = await call.session;
        expect(provisional).toContain(180);
        expect(session.remoteBody.toString()).toContain('m=audio');
        const bye = await session.bye();
        expect(bye?.status).toBe(200);
        const result = await sipp.done;
        expect(result.code, report(result)).toBe(0);
      });
    });

    it(`RFC 3261 §10.2/§22.2: SIPp register-digest.xml (${transport}) against a registrar on the stack`, async ({
      expect,
    }) => {
      const ua = await startUa('registrar');
      await withUa(ua, async () => {
        const registrar = installRegistrar(ua, { users: { alice: 'secret' } });
        const port = ua.transport.sentBy(transport)!.port;
        const sipp = startSipp([
          `127.0.0.1:${port}`,
          '-sf',
          join(SIPP_SCENARIOS, 'register-digest.xml'),
          '-t',
          SIPP_MODE[transport],
          '-i',
          '127.0.0.1',
          '-p',
          String(await freePort()),
          '-s',
          'alice',
          '-au',
          'alice',
          '-ap',
          'secret',
          '-m',
          '1',
        ]);
        const result = await sipp.done;
        expect(result.code, report(result)).toBe(0);
        // 401, the authenticated REGISTER, the authenticated de-registration.
        expect(registrar.requests.map((r) => r.request.get('expires'))).toEqual(['600', '600', '0']);
        expect(registrar.requests.every((r) => r.source.transport === transport)).toBe(true);
        expect(registrar.bindings.get('sip:alice@ims.lab')).toEqual([]);
      });
    });
  }
});
