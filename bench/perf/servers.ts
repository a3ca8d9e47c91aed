// The servers a benchmark measures, each in its own process: our CSCF (cscf-child.mjs, from dist/) and Kamailio from
// Debian (lab/kamailio, the lab's own kamailio.cfg), with a sink that answers the third-party REGISTERs both
// send to "the PF" (it runs in the benchmark's process and is not measured).
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startKamailio } from '../../lab/kamailio/index.js';
import { SipStreamParser } from '../../protocol/sip/index.js';
import { createLogger, freePort } from '../../runtime/index.js';
import { REPEAT } from './table.js';

const CHILD = fileURLToPath(new URL('./cscf-child.mjs', import.meta.url));

export interface MeasuredServer {
  name: string;
  pid: number;
  port: number;
  close(): Promise<void>;
}

export type StartServer = () => Promise<MeasuredServer>;

/** `work` on a fresh server from `start`, closed afterwards. */
export async function withServer<T>(
  start: StartServer,
  work: (server: MeasuredServer) => Promise<T>,
): Promise<T> {
  const server = await start();
  try {
    return await work(server);
  } finally {
    await server.close();
  }
}

/**
 * REPEAT rounds of `work`, the servers alternating (ours, the anchor, ours, ...), each round on a fresh server:
 * per server, its name and its rounds' results.
 */
export async function alternatingRounds<T>(
  starts: readonly StartServer[],
  work: (server: MeasuredServer) => Promise<T>,
): Promise<Array<{ name: string; rounds: T[] }>> {
  const results = starts.map(() => ({ name: '', rounds: [] as T[] }));
  for (let round = 0; round < REPEAT; round++) {
    for (const [i, start] of starts.entries()) {
      const result = results[i]!;
      result.rounds.push(
        await withServer(start, (server) => {
          result.name = server.name;
          return work(server);
        }),
      );
    }
  }
  return results;
}

/** A SIP server over TCP that answers every request 200 OK (RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq copied). */
export async function startSink(): Promise<{ uri: string; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    const parser = new SipStreamParser();
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.kind !== 'message' || !item.message.isRequest) continue;
        const m = item.message;
        const lines = ['SIP/2.0 200 OK', ...m.getAll('via').map((v) => `Via: ${v}`)];
        lines.push(`From: ${m.get('from')}`, `To: ${m.get('to')};tag=sink`, `Call-ID: ${m.callId}`);
        lines.push(`CSeq: ${m.get('cseq')}`, 'Content-Length: 0', '', '');
        socket.write(lines.join('\r\n'));
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    uri: `sip:127.0.0.1:${port};transport=tcp`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export async function startOurCscf(users: number, pfUri: string): Promise<MeasuredServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ port, users, pfUri })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`our CSCF exited ${code}`)));
  });
  return {
    name: 'cpm-lab CSCF',
    pid: child.pid!,
    port,
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A plain registrar and record-routing proxy configuration, for the calls benchmark. */
export const KAMAILIO_PROXY_CONFIG = fileURLToPath(new URL('./kamailio-proxy.cfg', import.meta.url));

/** Kamailio with the lab's own configuration (default), or another one (KAMAILIO_PROXY_CONFIG). */
export async function startKamailioCscf(pfUri: string, config?: string): Promise<MeasuredServer> {
  const k = await startKamailio({
    host: '127.0.0.1',
    port: 0,
    domain: 'ims.lab',
    pfUri,
    logger: createLogger('kamailio', { level: 'error' }),
    sharedMemoryMb: 1024,
    ...(config === undefined ? {} : { config }),
  });
  return {
    name: `Kamailio ${k.version.split(' ')[1] ?? ''}`.trim(),
    pid: k.pid,
    port: k.port,
    close: () => k.close(),
  };
}
