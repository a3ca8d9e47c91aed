// Interop with SIPp (Debian `sip-tester`): the CSCF as registrar and proxy for real third-party UAs.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertSippInstalled,
  SIPP_SCENARIOS,
  startSipp,
  waitForTcpListener,
} from '../../protocol/sip/test-support/sipp.js';
import { freePort } from '../../runtime/index.js';
import { createLogger } from '../../runtime/index.js';
import { cscfConfig } from './config.js';
import { Cscf } from './cscf.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => assertSippInstalled());

async function startCscf(auth = false): Promise<{ cscf: Cscf; port: number }> {
  const port = await freePort();
  const cscf = await Cscf.start(
    {
      ...cscfConfig({}, {}),
      udpPort: port,
      tcpPort: port,
      controlPort: 0,
      auth: { enabled: auth, passwords: new Map([['alice', 'secret']]) },
    },
    { logger: createLogger('cscf', { level: 'error', write: () => {} }), control: false },
  );
  cleanups.push(() => cscf.close());
  return { cscf, port };
}

const show = (r: { code: number | null; stdout: string; stderr: string }) =>
  `sipp exited ${r.code}\n${r.stderr}\n${r.stdout.slice(-3000)}`;

describe('SIPp interop with the CSCF', () => {
  for (const [name, mode, transport] of [
    ['UDP', 'u1', 'udp'],
    ['TCP', 't1', 'tcp'],
  ] as const) {
    it(`RFC 3261 §16: SIPp uac → CSCF → SIPp uas completes a call over ${name}`, async () => {
      const { cscf, port } = await startCscf();
      const uasPort = await freePort();
      const uas = startSipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-t', mode]);
      cleanups.push(async () => uas.kill());
      if (mode === 't1') await waitForTcpListener(uasPort);
      // SIPp's built-in uas does not register: provision bob's contact as a static binding.
      cscf.addStaticBinding('bob', `<sip:bob@127.0.0.1:${uasPort};transport=${transport}>`);
      const uac = startSipp([
        `127.0.0.1:${port}`,
        '-sn',
        'uac',
        '-s',
        'bob',
        '-i',
        '127.0.0.1',
        '-p',
        String(await freePort()),
        '-t',
        mode,
      ]);
      const [uacResult, uasResult] = await Promise.all([uac.done, uas.done]);
      expect(uacResult.code, show(uacResult)).toBe(0);
      expect(uasResult.code, show(uasResult)).toBe(0);
    });
  }

  it('RFC 3261 §22: SIPp REGISTER with a digest challenge, then de-registration (register-digest.xml)', async () => {
    const { cscf, port } = await startCscf(true);
    const run = startSipp([
      `127.0.0.1:${port}`,
      '-sf',
      `${SIPP_SCENARIOS}register-digest.xml`,
      '-s',
      'alice',
      '-au',
      'alice',
      '-ap',
      'secret',
      '-i',
      '127.0.0.1',
      '-p',
      String(await freePort()),
      '-t',
      'u1',
    ]);
    const result = await run.done;
    expect(result.code, show(result)).toBe(0);
    expect(cscf.registrar.lookup('sip:alice@ims.lab')).toEqual([]);
  });
});
