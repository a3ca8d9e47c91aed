// Issue 20, rows 3 and 4: the CSCF's REGISTER rate, over UDP and over one TCP connection, against Kamailio
// from Debian in the same run. "Max clean rate": the highest SIPp rate at which every REGISTER got its 200
// with no failure and no retransmission (SIPp's own statistics), stepping the rate up until one is not
// clean. Both servers send a third-party REGISTER to the same sink after each REGISTER (the lab's setting).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { freePort } from '../../runtime/index.js';
import { cpuMs, pssMb } from './proc.js';
import {
  alternatingRounds,
  type MeasuredServer,
  startKamailioCscf,
  startOurCscf,
  startSink,
} from './servers.js';
import { type CleanRate, maxCleanRate, SIPP_DIR, usersFile } from './sipp-load.js';
import { medianBy, REPEAT, recordRow, roundsNote, SHORT } from './table.js';

const RATES = SHORT
  ? [1000, 2000, 4000, 8000]
  : [1000, 2000, 3000, 4000, 6000, 8000, 10000, 12000, 15000, 20000];
const SECONDS = SHORT ? 1 : 3;
const USERS = RATES.reduce((n, r) => n + r * SECONDS, 0);

interface RateResult extends CleanRate {
  pssMb: number;
}

async function registerRate(
  server: MeasuredServer,
  transport: 'u1' | 't1',
  dir: string,
): Promise<RateResult> {
  let offset = 0;
  const result = await maxCleanRate(
    RATES,
    SECONDS,
    () => cpuMs(server.pid),
    async (rate, calls) => {
      const users = await usersFile(dir, 'u', offset, calls);
      offset += calls;
      return [
        `127.0.0.1:${server.port}`,
        '-sf',
        join(SIPP_DIR, 'register.xml'),
        '-inf',
        users,
        '-r',
        String(rate),
        '-l',
        String(rate),
        '-t',
        transport,
        '-i',
        '127.0.0.1',
        '-p',
        String(await freePort()),
      ];
    },
  );
  return { ...result, pssMb: pssMb(server.pid) };
}

for (const [transport, label, row] of [
  ['u1', 'UDP', 3],
  ['t1', 'TCP (one connection)', 4],
] as const) {
  describe(`row ${row}: CSCF REGISTER over ${label}, max clean rate`, () => {
    let dir: string;
    let sink: Awaited<ReturnType<typeof startSink>>;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cpm-lab-bench-register-'));
      sink = await startSink();
    });
    afterAll(async () => {
      await sink?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('ours and Kamailio, the same SIPp steps', async () => {
      // Ours and Kamailio alternate, each round on a fresh server; the row reports the median round of each.
      const servers = await alternatingRounds(
        [() => startOurCscf(USERS, sink.uri), () => startKamailioCscf(sink.uri)],
        (server) => registerRate(server, transport, dir),
      );
      const [ours, kamailio] = servers.map((s) => ({
        name: s.name,
        r: medianBy(s.rounds, (r) => r.rate),
        rates: s.rounds.map((r) => r.rate),
      })) as [
        { name: string; r: RateResult; rates: number[] },
        { name: string; r: RateResult; rates: number[] },
      ];
      const ratio = kamailio.r.rate > 0 ? ours.r.rate / kamailio.r.rate : 0;
      const fmt = (m: { r: RateResult; rates: number[] }) =>
        `${m.r.rate}/s${roundsNote(m.rates, '')}, ${m.r.cpuMsPerCall.toFixed(3)} ms CPU each, ${Math.round(m.r.pssMb)} MB`;
      recordRow({
        measure: `CSCF REGISTER over ${label}, max clean rate`,
        ours: fmt(ours),
        anchor: `${kamailio.name}: ${fmt(kamailio)}`,
        ratio,
        goal: '≥ 0.5× Kamailio',
        // An anchor clean at every rate was not saturated: the ratio is then only an upper bound.
        met: ratio >= 0.5 && kamailio.r.stoppedBy !== undefined,
        how: `SIPp ${RATES.join('/')} REGISTER/s × ${SECONDS} s, distinct users, stop at the first rate with a failure or a retransmission, median of ${REPEAT} round(s) (ours: ${ours.r.stoppedBy ?? 'every rate clean'}; Kamailio: ${kamailio.r.stoppedBy ?? 'every rate clean'}); third-party REGISTERs to a sink; CPU and PSS of the server's processes from /proc`,
      });
    });
  });
}
