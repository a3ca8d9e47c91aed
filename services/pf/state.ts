// What GET /state of the PF reports: its addresses, groups and their sessions, who is online, the deferred
// store's backlog and delivery records, deliveries in flight and the retries it has scheduled.
import type { DeliveryRecord, Group, SessionState } from './domain/index.js';
import type { InFlightDelivery } from './in-flight.js';
import type { BacklogCount } from './store/index.js';

export interface PfGroupState extends Group {
  session: SessionState;
  /** Users with a leg in the live session. */
  connected: string[];
  /** Users subscribed to the conference event package. */
  subscribers: string[];
}

export interface PfState {
  node: 'pf';
  domain: string;
  conferenceFactory: string;
  sip: { udp?: { address: string; port: number }; tcp?: { address: string; port: number } };
  /** The SIP engine behind the PF's signalling port (`cpm-lab built-in SIP stack`, `drachtio-server 1.0.0 …`). */
  sipEngine: string;
  msrp: { address: string; port: number };
  cscf: string;
  store: string;
  idleTimeoutMs: number;
  groups: PfGroupState[];
  online: string[];
  backlog: BacklogCount[];
  /** Per (recipient, group): pending / delivering / stopped-481 (D1.iv, A2.ii). */
  deliveries: DeliveryRecord[];
  inFlight: InFlightDelivery[];
  /** Deliveries the PF will try again on its own (after a failure), with the time of the next attempt. */
  retries: Array<{ user: string; groupId: string; attempt: number; reason: string; at?: string }>;
}
