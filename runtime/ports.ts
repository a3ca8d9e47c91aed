// Ports of other processes: one free for UDP and TCP at once (for peers that must be told their port up
// front, such as Kamailio and SIPp, instead of binding port 0 and reporting it), and whether something
// accepts TCP connections on one (a process that signals nothing when it is up or gone).
import { createSocket } from 'node:dgram';
import { connect, createServer, isIPv6 } from 'node:net';

/** A port free for both UDP and TCP on `host` right now (another process may still take it later). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, host, () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
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
