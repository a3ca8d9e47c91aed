// Issue 20, row 5: calls through the CSCF as a proxy over UDP (INVITE/200/ACK/BYE/200, SIPp uac → CSCF → SIPp
// uas, both Record-Route), ours against Kamailio in the same run: the max clean rate (no failure, no
// retransmission), CPU per call at that rate, and memory before and after the whole series (it must stay flat).
// Kamailio runs a plain registrar and record-routing proxy configuration (kamailio-proxy.cfg): the lab's own
// answers in-dialog requests only for the PF's dialogs.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { freePort } from '../../runtime/index.js';
import { cpuMs, pssMb } from './proc.js';
import {
  KAMAILIO_PROXY_CONFIG,
  type MeasuredServer,
  startKamailioCscf,
  startOurCscf,
  startSink,
} from './servers.js';
import { type CleanRate, maxCleanRate, runSipp, SIPP_DIR } from './sipp-load.js';
import { recordRow, SHORT } from './table.js';

const RATES = SHORT ? [200, 500, 1000] : [200, 500, 750, 1000, 1500, 2000, 3000];
const SECONDS = SHORT ? 2 : 5;

interface CallResult extends CleanRate {
  pssBefore: number;
  pssAfter: number;
}

async function series(server: MeasuredServer): Promise<CallResult> {
  // The CSCF reaches a UE over the flow it registered from (for UDP: its source address), so bob registers from
  // the port the uas then listens on (UDP: nothing is held between the two).
  const uasPort = await freePort();
  const registered = await runSipp(
    [
      `127.0.0.1:${server.port}`,
      '-sf',
      join(SIPP_DIR, 'register-contact.xml'),
      '-s',
      'bob',
      '-key',
      'uas_port',
      String(uasPort),
    ].concat(['-t', 'u1', '-i', '127.0.0.1', '-p', String(uasPort)]),
    1,
  );
  if (registered.success !== 1) throw new Error(`the uas could not be registered with ${server.name}`);
  const uas: ChildProcess = spawn(
    'sipp',
    ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-t', 'u1', '-nostdin'],
    {
      stdio: 'ignore',
    },
  );
  try {
    const pssBefore = pssMb(server.pid);
    const clean = await maxCleanRate(
      RATES,
      SECONDS,
      () => cpuMs(server.pid),
      async (rate) => [
        `127.0.0.1:${server.port}`,
        '-sf',
        join(SIPP_DIR, 'call-uac.xml'),
        '-s',
        'bob',
        '-r',
        String(rate),
        '-l',
        String(rate * 2),
        '-t',
        'u1',
        '-i',
        '127.0.0.1',
        '-p',
        String(await freePort()),
      ],
    );
    const result: CallResult = { ...clean, pssBefore, pssAfter: 0 };
    result.pssAfter = pssMb(server.pid);
    return result;
  } finally {
    uas.kill('SIGKILL');
  }
}

describe('row 5: proxied calls over UDP', () => {
  it('ours and Kamailio, the same SIPp steps', async () => {
    const sink = await startSink();
    try {
      const results: Array<{ name: string; r: CallResult }> = [];
      for (const start of [
        () => startOurCscf(1, sink.uri),
        () => startKamailioCscf(sink.uri, KAMAILIO_PROXY_CONFIG),
      ]) {
        const server = await start();
        try {
          results.push({ name: server.name, r: await series(server) });
        } finally {
          await server.close();
        }
      }
      const [ours, kamailio] = results as [{ name: string; r: CallResult }, { name: string; r: CallResult }];
      const fmt = (r: CallResult) =>
        `${r.rate}/s, ${r.cpuMsPerCall.toFixed(3)} ms CPU each, ${Math.round(r.pssBefore)}→${Math.round(r.pssAfter)} MB`;
      const ratio = kamailio.r.rate > 0 ? ours.r.rate / kamailio.r.rate : 0;
      recordRow({
        measure: 'Proxied calls (INVITE/200/ACK/BYE) over UDP, max clean rate',
        ours: fmt(ours.r),
        anchor: `${kamailio.name}: ${fmt(kamailio.r)}`,
        ratio,
        goal: '≥ 0.5× Kamailio, < 100 MB and flat',
        met: ratio >= 0.5 && ours.r.pssAfter < 100 && ours.r.pssAfter - ours.r.pssBefore < 10,
        how: `SIPp call-uac.xml ${RATES.join('/')} calls/s × ${SECONDS} s to bob (a SIPp uas registered through the CSCF), stop at the first rate with a failure or a retransmission (ours: ${ours.r.stoppedBy ?? 'every rate clean'}; Kamailio: ${kamailio.r.stoppedBy ?? 'every rate clean'}); memory: PSS before and after the series`,
      });
    } finally {
      await sink.close();
    }
  });
});
