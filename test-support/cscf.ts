// Test fixtures shared across services: the real CSCF on any free port, without a control API, logging
// nothing below errors. The client's test PF lab (client/test-support/test-pf.ts), the PF's test lab
// (services/pf/test-support/lab.ts) and the lab API tests start their CSCF here.
import { createLogger, type Logger } from '../runtime/index.js';
import { Cscf, cscfConfig, type CscfConfig } from '../services/cscf/index.js';

/** A logger that writes nothing (errors only, to nowhere): for nodes under test. */
export function silentLogger(node = 'test'): Logger {
  return createLogger(node, { level: 'error', write: () => {} });
}

/** The CSCF on 127.0.0.1, UDP and TCP on one free port, no control API; `overrides` on top of its defaults. */
export function startTestCscf(overrides: Partial<CscfConfig> = {}): Promise<Cscf> {
  return Cscf.start(
    { ...cscfConfig({}, {}), udpPort: 0, tcpPort: 0, controlPort: 0, t1: 50, ...overrides },
    { logger: silentLogger('cscf'), control: false },
  );
}
