// Whether something accepts TCP connections: for tests that watch other processes' ports (they signal us
// nothing, so the tests poll this). The probe itself is runtime's (the Kamailio launcher uses it too).
import { acceptsTcp } from '../runtime/index.js';

export function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return acceptsTcp(port, host);
}
