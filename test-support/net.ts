// Whether something accepts TCP connections: for tests that watch other processes' ports (they signal us
// nothing, so the tests poll this).
import { connect } from 'node:net';

export function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
