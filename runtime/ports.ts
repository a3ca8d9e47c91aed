// Ports of other processes: one free for UDP and TCP at once (for peers that must be told their port up
// front, such as Kamailio and SIPp, instead of binding port 0 and reporting it), and whether something
// accepts TCP connections on one (a process that signals nothing when it is up or gone).
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, createServer, isIPv6 } from 'node:net';

/**
 * A port free for both UDP and TCP on `host` right now. It is drawn from below the kernel's ephemeral range
 * (`net.ipv4.ip_local_port_range`) so that no socket bound to port 0 or connecting out, in this process or
 * another, is handed it before the caller binds it; a port handed out here is not handed out again by this
 * process. Another process may still bind it deliberately.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = outsideEphemeralRange();
  for (let attempt = 0; attempt < 200 && high > low; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if ((await bindsTcp(port, host)) && (await bindsUdp(port, host))) {
      handedOut.add(port);
      return port;
    }
  }
  // No luck below the ephemeral range: let the kernel choose (it may hand the port to someone else later).
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (!handedOut.has(port) && (await bindsUdp(port, host))) {
      handedOut.add(port);
      return port;
    }
  }
}

const handedOut = new Set<number>();

/** [low, high] of the ports below the kernel's ephemeral range we may draw from (Linux; a default elsewhere). */
function outsideEphemeralRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const parsed = Number(first);
    if (Number.isInteger(parsed) && parsed > 0) ephemeralLow = parsed;
  } catch {
    // not Linux: the IANA dynamic range starts at 49152; 32768 is Linux's default and below both
  }
  return [20_000, Math.min(ephemeralLow, 49_152) - 1];
}

function bindsTcp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function bindsUdp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/** Whether something accepts TCP connections on host:port right now. */
export function acceptsTcp(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
