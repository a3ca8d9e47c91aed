// Node-level events (state changes: registered, group created, session active, fault injected...)
// fanned out to in-process listeners and, through the control API, to SSE clients.

import { Fanout, type Listener } from './fanout.js';

export interface NodeEvent {
  /** Monotonic per emitter, from 1. */
  seq: number;
  /** Milliseconds since the epoch. */
  time: number;
  node: string;
  /** Short kebab-case name, e.g. `registration-changed`. */
  type: string;
  data: unknown;
}

export class NodeEvents {
  readonly #fanout = new Fanout<NodeEvent>();
  #seq = 0;

  constructor(
    readonly node: string,
    private readonly now: () => number = Date.now,
  ) {}

  emit(type: string, data: unknown = null): NodeEvent {
    const event: NodeEvent = { seq: ++this.#seq, time: this.now(), node: this.node, type, data };
    this.#fanout.publish(event);
    return event;
  }

  subscribe(listener: Listener<NodeEvent>): () => void {
    return this.#fanout.subscribe(listener);
  }

  get listenerCount(): number {
    return this.#fanout.size;
  }
}
