// What every role of the PF is given by the node shell (pf.ts #wire): the SIP and MSRP endpoints, the stores
// and the shared views (backlog, live sessions, deliveries in flight), the node's events and logging.
import type { MsrpEndpoint } from '../../protocol/msrp/index.js';
import type { Logger, NodeEvents } from '../../runtime/index.js';
import type { Backlog } from './backlog.js';
import type { ErrorSink } from './error-sink.js';
import type { InFlight } from './in-flight.js';
import type { RegistrationWatch } from './registration-watch.js';
import type { SessionRegistry } from './session-registry.js';
import type { PfSignalling } from './signalling.js';
import type { PfStores } from './store/index.js';

export interface RoleDeps {
  signalling: PfSignalling;
  msrp: MsrpEndpoint;
  stores: PfStores;
  /** Run a store write in the write batcher (one transaction with its neighbours). */
  batcherRun: <T>(work: () => T) => Promise<T>;
  registrations: RegistrationWatch;
  backlog: Backlog;
  sessions: SessionRegistry;
  inFlight: InFlight;
  events: NodeEvents;
  logger: Logger;
  sink: ErrorSink;
  now: () => number;
}
