// A small lab for the PF's tests: the real CSCF (Cscf.start, ports 0) with the PF as application server, the PF
// node (in this process, or a child process, see run-pf.ts) and TestClients registering through the CSCF.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeEvent } from '../../../runtime/index.js';
import { silentLogger, startTestCscf } from '../../../test-support/cscf.js';
import type { Cscf } from '../../cscf/index.js';
import { parseGroupSpecs, pfConfig, type PfConfig, SIP_ENGINES, type SipEngine } from '../config.js';
import { PfNode, type PfOptions } from '../pf.js';
import { Signal, TestClient } from './test-client.js';

export { silentLogger };

export const PF_SERVICE_PATTERN = /^(conference-factory|group-.+)$/;

export interface PfTestOptions {
  storePath: string;
  idleTimeoutMs?: number;
  msrpTimeoutMs?: number;
  groups?: string;
  /** Another SIP engine behind the PF's signalling port (PfOptions.signalling). */
  signalling?: PfOptions['signalling'];
  /** The configured engine (default: testSipEngine()). */
  sipEngine?: SipEngine;
}

/** The SIP engine the PF's tests run on: CPM_LAB_TEST_PF_SIP_ENGINE (default builtin). */
export function testSipEngine(env: NodeJS.ProcessEnv = process.env): SipEngine {
  const engine = env.CPM_LAB_TEST_PF_SIP_ENGINE ?? 'builtin';
  if (!(SIP_ENGINES as readonly string[]).includes(engine)) {
    throw new Error(`CPM_LAB_TEST_PF_SIP_ENGINE=${engine}: not one of ${SIP_ENGINES.join(', ')}`);
  }
  return engine as SipEngine;
}

export function testPfConfig(options: PfTestOptions): PfConfig {
  return {
    ...pfConfig({}, {}),
    sipUdpPort: 0,
    sipTcpPort: 0,
    msrpPort: 0,
    controlPort: 0,
    storePath: options.storePath,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    msrpTimeoutMs: options.msrpTimeoutMs ?? 2000,
    groups: parseGroupSpecs(options.groups ?? 'team:alice,bob,carol:Team chat', 'ims.lab'),
    t1: 50,
    // CPM_LAB_TEST_PF_SIP_ENGINE=drachtio runs the PF's tests on drachtio-server (started by the PF).
    sipEngine: options.sipEngine ?? testSipEngine(),
  };
}

export class Lab {
  readonly dir: string;
  readonly cscf: Cscf;
  readonly events: NodeEvent[] = [];
  readonly signal = new Signal();
  pf: PfNode | undefined;
  readonly #clients: TestClient[] = [];
  #unsubscribe: (() => void) | undefined;

  private constructor(dir: string, cscf: Cscf) {
    this.dir = dir;
    this.cscf = cscf;
  }

  /** The CSCF alone (the PF attached later with attachPf / routeToPf). */
  static async cscfOnly(): Promise<Lab> {
    const dir = mkdtempSync(join(tmpdir(), 'pf-lab-'));
    const cscf = await startTestCscf({ unreachableTimeoutMs: 300, services: [] });
    return new Lab(dir, cscf);
  }

  /** CSCF + an in-process PF on a fresh store. */
  static async start(options: Omit<PfTestOptions, 'storePath'> = {}): Promise<Lab> {
    const lab = await Lab.cscfOnly();
    await lab.startPf({ ...options, storePath: join(lab.dir, 'pf.db') });
    return lab;
  }

  get cscfPort(): number {
    return this.cscf.sipAddresses.tcp!.port;
  }

  get storePath(): string {
    return join(this.dir, 'pf.db');
  }

  /** Route conference URIs and third-party REGISTERs to the PF at `sipUri` (protocol-notes §3). */
  routeToPf(sipUri: string): void {
    this.cscf.config.services.splice(0, this.cscf.config.services.length, {
      userPattern: PF_SERVICE_PATTERN,
      uri: sipUri,
    });
  }

  async startPf(options: PfTestOptions): Promise<PfNode> {
    const pf = await PfNode.start(testPfConfig(options), {
      logger: silentLogger('pf'),
      ...(options.signalling ? { signalling: options.signalling } : {}),
    });
    pf.setCscf({ host: '127.0.0.1', port: this.cscfPort });
    this.routeToPf(pf.sipUri);
    this.#unsubscribe?.();
    this.#unsubscribe = pf.events.subscribe((e) => this.record(e));
    this.pf = pf;
    return pf;
  }

  record(event: NodeEvent): void {
    this.events.push(event);
    this.signal.changed();
  }

  async client(user: string): Promise<TestClient> {
    const client = await TestClient.start(user, this.cscfPort);
    this.#clients.push(client);
    return client;
  }

  /** The n-th (1-based) PF event of `type` whose data matches. */
  waitEvent(
    type: string,
    match: (data: Record<string, unknown>) => boolean = () => true,
    n = 1,
  ): Promise<NodeEvent> {
    return this.signal.until(
      () => this.events.filter((e) => e.type === type && match(e.data as Record<string, unknown>))[n - 1],
      `PF event ${type} #${n}`,
    );
  }

  count(type: string, match: (data: Record<string, unknown>) => boolean = () => true): number {
    return this.events.filter((e) => e.type === type && match(e.data as Record<string, unknown>)).length;
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    for (const c of this.#clients) await c.close();
    await this.pf?.close();
    await this.cscf.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
