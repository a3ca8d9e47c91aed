// Registrar binding store (RFC 3261 §10.3) with RFC 5626 instance-id/reg-id and feature-tag contacts
// (RFC 3840). Pure logic: the CSCF feeds it REGISTER requests and the flow they came on.
import {
  isSipUri,
  formatNameAddr,
  formatUri,
  type NameAddr,
  type Params,
  type SipRequest,
  parseNameAddr,
  uriEquals,
  aorOf,
} from '../../protocol/sip/index.js';
import { type ExpiryEntry, ExpiryHeap } from './expiry-heap.js';

/** Where a binding's REGISTER came from: requests for it go back over this flow (RFC 5626, lab profile §3). */
export interface BindingFlow {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  flowId?: string;
}

export interface Binding {
  aor: string;
  /** The registered Contact as a name-addr (URI + parameters: feature tags, +sip.instance, reg-id, q). */
  contact: NameAddr;
  /** Contact header parameters, i.e. the registered feature set (RFC 3840 §9). */
  params: Params;
  instanceId: string | undefined;
  regId: number | undefined;
  q: number;
  expiresAt: number;
  callId: string;
  cseq: number;
  flow: BindingFlow;
  /** False once the flow closed or the UE was made unreachable: requests get 480 / time out. */
  reachable: boolean;
  registeredAt: number;
}

export interface RegistrarOptions {
  domain: string;
  /** Known users (`sip:alice@ims.lab`); undefined accepts any user of the domain. */
  users?: ReadonlySet<string>;
  minExpires?: number;
  maxExpires?: number;
  defaultExpires?: number;
  now?: () => number;
}

export type RegisterOutcome =
  | {
      status: 200;
      aor: string;
      bindings: Binding[];
      added: Binding[];
      refreshed: Binding[];
      removed: Binding[];
    }
  | { status: 400 | 403 | 404 | 500; reason: string }
  | { status: 423; reason: string; minExpires: number };

export class Registrar {
  readonly domain: string;
  readonly minExpires: number;
  readonly maxExpires: number;
  readonly defaultExpires: number;
  readonly #users: Set<string> | undefined;
  readonly #now: () => number;
  readonly #bindings = new Map<string, Binding[]>();
  /** Bindings by the flow they were registered over (TCP flow id, or UDP address and port). */
  readonly #byFlow = new Map<string, Set<Binding>>();
  /** Each AoR's earliest expiry, pushed on every change (expiry-heap.ts). */
  #expiries = new ExpiryHeap();

  constructor(options: RegistrarOptions) {
    this.domain = options.domain.toLowerCase();
    this.#users = options.users === undefined ? undefined : new Set(options.users);
    this.minExpires = options.minExpires ?? 60;
    this.maxExpires = options.maxExpires ?? 7200;
    this.defaultExpires = options.defaultExpires ?? 3600;
    this.#now = options.now ?? Date.now;
  }

  /** A user known from now on (a client the lab creates for a scenario run); all users are known without a list. */
  addUser(aor: string): void {
    this.#users?.add(aor);
  }

  /** A user no longer known: its bindings go, and it gets 404 again. */
  removeUser(aor: string): Binding[] {
    const removed = this.removeAll(aor);
    this.#users?.delete(aor);
    return removed;
  }

  isKnownUser(aor: string): boolean {
    return this.#users === undefined ? aor.endsWith('@' + this.domain) : this.#users.has(aor);
  }

  /** RFC 3261 §10.3: process a REGISTER atomically (all contacts or none). */
  register(request: SipRequest, flow: BindingFlow): RegisterOutcome {
    let to: NameAddr;
    try {
      to = request.to;
    } catch {
      return { status: 400, reason: 'Bad To header' };
    }
    const aor = aorOf(to.uri);
    if (!this.isKnownUser(aor)) return { status: 404, reason: 'Not Found' }; // §10.3 step 3
    const callId = request.callId;
    const cseq = request.cseq.seq;
    const headerExpires = parseExpires(request.get('expires'));
    if (headerExpires === null) return { status: 400, reason: 'Bad Expires header' };
    const contactValues = request.getAll('contact');
    const now = this.#now();
    const current = this.#live(aor, now);

    // §10.3 step 6: `Contact: *` removes every binding, only with Expires: 0 and alone.
    if (contactValues.includes('*')) {
      if (contactValues.length !== 1 || headerExpires !== 0)
        return { status: 400, reason: 'Invalid wildcard Contact' };
      for (const b of current) {
        if (b.callId === callId && cseq <= b.cseq) return { status: 500, reason: 'Out of order CSeq' };
      }
      this.#put(aor, []);
      return { status: 200, aor, bindings: [], added: [], refreshed: [], removed: current };
    }

    let contacts: NameAddr[];
    try {
      contacts = contactValues.map(parseNameAddr);
    } catch {
      return { status: 400, reason: 'Bad Contact header' };
    }
    const next = [...current];
    const added: Binding[] = [];
    const refreshed: Binding[] = [];
    const removed: Binding[] = [];
    for (const contact of contacts) {
      const paramExpires = parseExpires(contact.params.get('expires') ?? undefined);
      if (paramExpires === null) return { status: 400, reason: 'Bad expires parameter' };
      let expires = paramExpires ?? headerExpires ?? this.defaultExpires;
      if (expires > 0 && expires < this.minExpires) {
        return { status: 423, reason: 'Interval Too Brief', minExpires: this.minExpires }; // §10.3 step 7
      }
      expires = Math.min(expires, this.maxExpires);
      const instanceId = unquote(contact.params.get('+sip.instance'));
      const regIdText = contact.params.get('reg-id');
      const regId = typeof regIdText === 'string' && /^\d+$/.test(regIdText) ? Number(regIdText) : undefined;
      // RFC 5626 §6: with instance-id and reg-id the binding is the (instance, reg-id) pair; else the URI.
      const index = next.findIndex((b) =>
        instanceId !== undefined && regId !== undefined
          ? b.instanceId === instanceId && b.regId === regId
          : uriEquals(b.contact.uri, contact.uri),
      );
      const existing = index >= 0 ? next[index] : undefined;
      if (existing && existing.callId === callId && cseq <= existing.cseq) {
        return { status: 500, reason: 'Out of order CSeq' }; // §10.3 step 7
      }
      if (expires === 0) {
        if (existing) {
          next.splice(index, 1);
          removed.push(existing);
        }
        continue;
      }
      const q = Number(contact.params.get('q') ?? '1');
      const binding: Binding = {
        aor,
        contact: { ...contact, params: contact.params.clone().delete('expires') },
        params: contact.params.clone().delete('expires'),
        instanceId,
        regId,
        q: Number.isFinite(q) ? q : 1,
        expiresAt: now + expires * 1000,
        callId,
        cseq,
        flow: { ...flow },
        reachable: true,
        registeredAt: existing?.registeredAt ?? now,
      };
      if (existing) {
        next[index] = binding;
        refreshed.push(binding);
      } else {
        next.push(binding);
        added.push(binding);
      }
    }
    this.#put(aor, next);
    return { status: 200, aor, bindings: next, added, refreshed, removed };
  }

  /**
   * Provision a binding for an external peer that does not register itself (e.g. SIPp's `uas`): it is
   * reached at its Contact URI (transport parameter, host, port), not over a flow.
   */
  addStatic(aor: string, contactUri: string, expiresSeconds = this.maxExpires): Binding {
    if (!this.isKnownUser(aor)) throw new Error(`unknown user ${aor}`);
    const contact = parseNameAddr(contactUri);
    if (!isSipUri(contact.uri)) throw new Error(`a static contact must be a SIP URI: ${contactUri}`);
    const transportParam = contact.uri.params.get('transport');
    const transport =
      typeof transportParam === 'string' && transportParam.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
    const now = this.#now();
    const binding: Binding = {
      aor,
      contact,
      params: contact.params.clone(),
      instanceId: undefined,
      regId: undefined,
      q: 1,
      expiresAt: now + expiresSeconds * 1000,
      callId: `static-${aor}`,
      cseq: 0,
      flow: { transport, address: contact.uri.host, port: contact.uri.port ?? 5060 },
      reachable: true,
      registeredAt: now,
    };
    const list = this.#live(aor, now).filter((b) => !uriEquals(b.contact.uri, contact.uri));
    this.#put(aor, [...list, binding]);
    return binding;
  }

  /** Contact header values for the 200 OK, each with its remaining expires (§10.3 step 8). */
  contactHeaders(bindings: readonly Binding[]): string[] {
    const now = this.#now();
    return bindings.map((b) => {
      const params = b.contact.params
        .clone()
        .set('expires', String(Math.max(0, Math.round((b.expiresAt - now) / 1000))));
      return formatNameAddr({ ...b.contact, params });
    });
  }

  /** Live bindings of an AoR, highest q first (RFC 3261 §16.6 target ordering). */
  lookup(aor: string): Binding[] {
    return [...this.#live(aor, this.#now())].sort((a, b) => b.q - a.q);
  }

  /** Every live binding. */
  all(): Binding[] {
    const now = this.#now();
    return [...this.#bindings.keys()].flatMap((aor) => this.#live(aor, now));
  }

  /** Remove expired bindings; returns them (the CSCF then sends third-party de-registrations). */
  expire(): Binding[] {
    const now = this.#now();
    const gone: Binding[] = [];
    for (let next = this.#nextDue(); next !== undefined && next.at <= now; next = this.#nextDue()) {
      this.#expiries.pop();
      const list = this.#bindings.get(next.aor) ?? [];
      gone.push(...list.filter((b) => b.expiresAt <= now));
      this.#put(
        next.aor,
        list.filter((b) => b.expiresAt > now),
      );
    }
    return gone;
  }

  /** The heap's earliest entry that still names its AoR's earliest expiry (stale ones are dropped). */
  #nextDue(): ExpiryEntry | undefined {
    for (let top = this.#expiries.peek(); top !== undefined; top = this.#expiries.peek()) {
      if (earliestExpiry(this.#bindings.get(top.aor)) === top.at) return top;
      this.#expiries.pop();
    }
    return undefined;
  }

  /** Remove all bindings of `aor` (network-initiated de-registration); returns them. */
  removeAll(aor: string): Binding[] {
    const list = this.#bindings.get(aor) ?? [];
    this.#put(aor, []);
    return list;
  }

  /** Live bindings registered over a TCP flow (RFC 5626 §5.2), from the flow index: no scan of all bindings. */
  bindingsOnFlow(flowId: string): Binding[] {
    return this.bindingsFrom({ transport: 'tcp', address: '', port: 0, flowId });
  }

  /** Live bindings registered from where a request came (its TCP flow, or its UDP address and port). */
  bindingsFrom(source: BindingFlow): Binding[] {
    const now = this.#now();
    return [...(this.#byFlow.get(flowKey(source)) ?? [])].filter((b) => b.expiresAt > now);
  }

  /** Entries in the expiry queue (stale ones included): bounded by the number of AoRs, not by refreshes. */
  get expiryQueueSize(): number {
    return this.#expiries.size;
  }

  /** The earliest expiry among the bindings, for scheduling the next expire() call (O(log n)). */
  nextExpiry(): number | undefined {
    return this.#nextDue()?.at;
  }

  /** Every change of an AoR's bindings goes through here, so that the flow index follows it. */
  #put(aor: string, list: Binding[]): void {
    for (const b of this.#bindings.get(aor) ?? []) {
      const key = flowKey(b.flow);
      const set = this.#byFlow.get(key);
      set?.delete(b);
      if (set?.size === 0) this.#byFlow.delete(key);
    }
    if (list.length === 0) {
      this.#bindings.delete(aor);
      return;
    }
    this.#bindings.set(aor, list);
    for (const b of list) {
      const key = flowKey(b.flow);
      const set = this.#byFlow.get(key) ?? new Set<Binding>();
      set.add(b);
      this.#byFlow.set(key, set);
    }
    const at = earliestExpiry(list);
    if (at !== undefined) this.#expiries.push({ at, aor });
    // Refreshes leave stale entries behind until their time comes: a peer refreshing very often must not make
    // the heap grow without bound, so it is rebuilt from the bindings when mostly stale.
    if (this.#expiries.size > 4 * this.#bindings.size + 1024) this.#rebuildExpiries();
  }

  #rebuildExpiries(): void {
    this.#expiries = new ExpiryHeap();
    for (const [aor, list] of this.#bindings) {
      const at = earliestExpiry(list);
      if (at !== undefined) this.#expiries.push({ at, aor });
    }
  }

  #live(aor: string, now: number): Binding[] {
    return (this.#bindings.get(aor) ?? []).filter((b) => b.expiresAt > now);
  }
}

/** The earliest finite expiry of a list of bindings (static bindings without an expiry have none). */
function earliestExpiry(list: readonly Binding[] | undefined): number | undefined {
  let min: number | undefined;
  for (const b of list ?? [])
    if (Number.isFinite(b.expiresAt) && (min === undefined || b.expiresAt < min)) min = b.expiresAt;
  return min;
}

/** Expires header or parameter: undefined when absent, null when malformed (RFC 3261 §20.19: delta-seconds). */
function parseExpires(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return null;
  return Math.min(Number(t), 2 ** 32 - 1);
}

function unquote(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.replace(/^<(.*)>$/, '$1');
}

export function bindingUri(binding: Binding): string {
  return formatUri(binding.contact.uri);
}

/** The flow index key: a TCP flow by its id, anything else by transport, address and port. */
function flowKey(flow: BindingFlow): string {
  return flow.transport === 'tcp' && flow.flowId !== undefined
    ? `tcp:${flow.flowId}`
    : `${flow.transport}:${flow.address}:${flow.port}`;
}
