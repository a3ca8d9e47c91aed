// Issue 20, row 5: calls through the CSCF as a proxy over UDP (INVITE/200/ACK/BYE/200, SIPp uac → CSCF → SIPp
// uas, both Record-Route), ours against Kamailio in the same run: the max clean rate (no failure, no
// retransmission), CPU per call at that rate, then memory while a fresh server carries that rate for 64*T1 + 8 s
// (the wait states of RFC 3261 / RFC 6026 fill up in 64*T1; after that the memory must stay flat).
// Kamailio runs a plain registrar and record-routing proxy configuration (kamailio-proxy.cfg): the lab's own
// answers in-dialog requests only for the PF's dialogs.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { freePort } from '../../runtime/index.js';
import { cpuMs, pssMb } from './proc.js';
import {
  alternatingRounds,
  KAMAILIO_PROXY_CONFIG,
  type MeasuredServer,
  type StartServer,
  startKamailioCscf,
  startOurCscf,
  startSink,
  withServer,
} from './servers.js';
import { type CleanRate, maxCleanRate, runSipp, SIPP_DIR } from './sipp-load.js';
import { medianBy, REPEAT, recordRow, roundsNote, SHORT } from './table.js';

const RATES = SHORT ? [200, 500, 1000] : [200, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000];
const SECONDS = SHORT ? 2 : 5;
/** 64*T1 (32 s): the longest wait state; the hold lasts that plus 8 s (short run: 10 s, too short to judge flat). */
const FILL_MS = 32_000;
const HOLD_SECONDS = SHORT ? 10 : 40;

interface Hold {
  rate: number;
  pssBefore: number;
  peak: number;
  /** PSS growth from 64*T1 + 1 s into the hold to its end; undefined when the hold is shorter. */
  growthAfterFill: number | undefined;
  clean: boolean;
}

/** bob registers from the port the SIPp uas then listens on (the CSCF reaches a UDP UE at its source address). */
async function withUas<T>(server: MeasuredServer, run: () => Promise<T>): Promise<T> {
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
    { stdio: 'ignore' },
  );
  try {
    return await run();
  } finally {
    uas.kill('SIGKILL');
  }
}

async function callArgs(server: MeasuredServer, rate: number): Promise<string[]> {
  return [
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
  ];
}

function series(server: MeasuredServer): Promise<CleanRate> {
  return withUas(server, () =>
    maxCleanRate(
      RATES,
      SECONDS,
      () => cpuMs(server.pid),
      (rate) => callArgs(server, rate),
    ),
  );
}

/** A fresh server carries `rate` for HOLD_SECONDS; its PSS is sampled every second. */
function hold(server: MeasuredServer, rate: number): Promise<Hold> {
  return withUas(server, async () => {
    const pssBefore = pssMb(server.pid);
    const samples: Array<{ at: number; pss: number }> = [];
    const started = performance.now();
    const sampler = setInterval(() => {
      samples.push({ at: performance.now() - started, pss: pssMb(server.pid) });
    }, 1000);
    let run: Awaited<ReturnType<typeof runSipp>>;
    try {
      run = await runSipp(await callArgs(server, rate), rate * HOLD_SECONDS, HOLD_SECONDS * 2 + 10);
    } finally {
      clearInterval(sampler);
    }
    samples.push({ at: performance.now() - started, pss: pssMb(server.pid) });
    const afterFill = samples.find((s) => s.at >= FILL_MS + 1000);
    const last = samples.at(-1)!;
    return {
      rate,
      pssBefore,
      peak: Math.max(pssBefore, ...samples.map((s) => s.pss)),
      growthAfterFill: afterFill && afterFill !== last ? last.pss - afterFill.pss : undefined,
      clean: run.clean,
    };
  });
}

/**
 * The hold at the max clean rate of the 5 s steps; a rate clean for 5 s may not be for 40 s (buffers absorb a
 * short overload), so an unclean hold is tried again one step lower, twice at most.
 */
async function holdDown(start: StartServer, rate: number): Promise<Hold> {
  let i = Math.max(0, RATES.indexOf(rate));
  for (let tries = 0; ; tries++) {
    const result = await withServer(start, (server) => hold(server, RATES[i]!));
    if (result.clean || i === 0 || tries === 2) return result;
    i--;
  }
}

describe('row 5: proxied calls over UDP', () => {
  it('ours and Kamailio, the same SIPp steps', async () => {
    const sink = await startSink();
    try {
      const starts = [
        () => startOurCscf(1, sink.uri),
        () => startKamailioCscf(sink.uri, KAMAILIO_PROXY_CONFIG),
      ];
      const servers = await alternatingRounds(starts, series);
      const results: Array<{ name: string; rates: number[]; clean: CleanRate; hold: Hold }> = [];
      for (const [i, s] of servers.entries()) {
        const clean = medianBy(s.rounds, (r) => r.rate);
        const rates = s.rounds.map((r) => r.rate);
        results.push({ name: s.name, rates, clean, hold: await holdDown(starts[i]!, clean.rate) });
      }
      const [ours, kamailio] = results as [(typeof results)[0], (typeof results)[0]];
      const fmt = (r: (typeof results)[0]) =>
        `${r.clean.rate}/s${roundsNote(r.rates, '')}, ${r.clean.cpuMsPerCall.toFixed(3)} ms CPU each; at ${r.hold.rate}/s for ${HOLD_SECONDS} s: ${Math.round(r.hold.pssBefore)}→${Math.round(r.hold.peak)} MB peak, ${r.hold.growthAfterFill === undefined ? 'flatness not judged (hold shorter than 64*T1 + 1 s)' : `${r.hold.growthAfterFill >= 0 ? '+' : ''}${r.hold.growthAfterFill.toFixed(1)} MB after 64*T1`}${r.hold.clean ? '' : ' (the hold was not clean)'}`;
      const ratio = kamailio.clean.rate > 0 ? ours.clean.rate / kamailio.clean.rate : 0;
      // An anchor clean at every rate was not saturated: the ratio is then only an upper bound.
      const anchorSaturated = kamailio.clean.stoppedBy !== undefined;
      recordRow({
        measure: 'Proxied calls (INVITE/200/ACK/BYE) over UDP, max clean rate',
        ours: fmt(ours),
        anchor: `${kamailio.name}: ${fmt(kamailio)}`,
        ratio,
        goal: '≥ 0.5× Kamailio, < 100 MB and flat',
        met:
          anchorSaturated &&
          ratio >= 0.5 &&
          ours.hold.peak < 100 &&
          ours.hold.growthAfterFill !== undefined &&
          ours.hold.growthAfterFill < 5,
        how: `SIPp call-uac.xml ${RATES.join('/')} calls/s × ${SECONDS} s to bob (a SIPp uas registered through the CSCF), stop at the first rate with a failure or a retransmission, median of ${REPEAT} round(s), each on a fresh server (ours: ${ours.clean.stoppedBy ?? 'every rate clean'}; Kamailio: ${kamailio.clean.stoppedBy ?? 'every rate clean'}); memory: PSS of a fresh server carrying that rate for ${HOLD_SECONDS} s (64*T1 = 32 s fills the wait states), flat = < 5 MB growth after 64*T1`,
      });
    } finally {
      await sink.close();
    }
  });
});
