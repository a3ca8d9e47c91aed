// The system under test (docs/sut.md): an implementation outside the lab, a CPM client or a Participating
// Function, that the conformance scenarios judge from the wire. What it is, where it is, and how the lab makes
// it act (its control API, an operator at the keyboard, or what the network can do on its own).
import { parseHostPort } from '../../runtime/index.js';

export type SutSide = 'client' | 'pf';

/**
 * control: the SUT implements the control contract (docs/sut.md) and the lab calls it; manual: the runner
 * tells an operator what to do and waits for the answer; network: the lab does only what the network can
 * (de-register through the CSCF, drop the flow); anything else cannot be driven (inconclusive).
 */
export type SutMode = 'control' | 'manual' | 'network';

export const SUT_MODES: readonly SutMode[] = ['control', 'manual', 'network'];

export interface SutSpec {
  side: SutSide;
  mode: SutMode;
  /** client: the SUT's user part; it registers as sip:<user>@<domain> with the lab's CSCF. */
  user?: string;
  /** client: the scenarios' role the SUT plays (default `alice`, the subject of every built-in scenario). */
  role?: string;
  /** pf: where the SUT takes SIP over TCP (`host:port`): the CSCF routes conference URIs there. */
  pf?: { host: string; port: number };
  /** mode control: the base URL of the SUT's control API. */
  control?: string;
  /** The implementation's name as the report shows it (`Acme CPM client 4.2`). */
  name?: string;
  /** How long a manual prompt or a network wait lasts before the step is inconclusive (seconds). */
  timeoutSeconds: number;
}

export const DEFAULT_SUT_TIMEOUT_SECONDS = 120;
export const DEFAULT_SUT_ROLE = 'alice';

const USER_RE = /^[a-z][a-z0-9._-]{0,31}$/;

/** The flags (or topology fields) that describe a SUT, as strings from the command line or JSON. */
export interface SutFlags {
  sut?: string;
  sutUser?: string;
  sutRole?: string;
  sutPf?: string;
  sutControl?: string;
  sutMode?: string;
  sutName?: string;
  sutTimeout?: string | number;
}

export class SutSpecError extends Error {
  override readonly name = 'SutSpecError';
}

/** A SutSpec from flags, every problem in one message (a usage error). */
export function parseSutSpec(flags: SutFlags): SutSpec {
  const problems: string[] = [];
  const side = flags.sut;
  if (side !== 'client' && side !== 'pf')
    problems.push(`--sut: expected "client" or "pf", got ${JSON.stringify(side)}`);
  const mode = (flags.sutMode ?? (flags.sutControl !== undefined ? 'control' : undefined)) as
    | SutMode
    | undefined;
  if (mode === undefined)
    problems.push('--sut-mode: give control (with --sut-control URL), manual or network');
  else if (!SUT_MODES.includes(mode))
    problems.push(`--sut-mode: expected control, manual or network, got ${JSON.stringify(flags.sutMode)}`);
  if (mode === 'control' && flags.sutControl === undefined)
    problems.push('--sut-control: mode control needs the URL of the SUT control API (docs/sut.md)');
  if (mode !== 'control' && flags.sutControl !== undefined)
    problems.push('--sut-control: only with --sut-mode control');
  let control: string | undefined;
  if (flags.sutControl !== undefined) {
    try {
      const url = new URL(flags.sutControl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      control = flags.sutControl.replace(/\/+$/, '');
    } catch {
      problems.push(`--sut-control: not an http(s) URL: ${JSON.stringify(flags.sutControl)}`);
    }
  }
  const timeout = flags.sutTimeout === undefined ? DEFAULT_SUT_TIMEOUT_SECONDS : Number(flags.sutTimeout);
  if (!Number.isFinite(timeout) || timeout <= 0)
    problems.push(`--sut-timeout: expected seconds > 0, got ${JSON.stringify(flags.sutTimeout)}`);
  const spec: SutSpec = { side: side as SutSide, mode: mode ?? 'control', timeoutSeconds: timeout };
  if (side === 'client') {
    if (flags.sutPf !== undefined) problems.push('--sut-pf: only with --sut pf');
    const user = flags.sutUser ?? 'alice';
    if (!USER_RE.test(user)) problems.push(`--sut-user: "${user}" is not a lower-case SIP user part`);
    spec.user = user;
    spec.role = flags.sutRole ?? DEFAULT_SUT_ROLE;
  }
  if (side === 'pf') {
    if (flags.sutUser !== undefined || flags.sutRole !== undefined)
      problems.push('--sut-user / --sut-role: only with --sut client');
    if (flags.sutPf === undefined)
      problems.push('--sut-pf: where the PF under test takes SIP (sip:host:port)');
    else {
      try {
        spec.pf = parseSutPfAddress(flags.sutPf);
      } catch (err) {
        problems.push(`--sut-pf: ${(err as Error).message}`);
      }
    }
  }
  if (flags.sutName !== undefined) {
    if (/[\r\n\0]/.test(flags.sutName) || flags.sutName.length > 200)
      problems.push('--sut-name: one line, at most 200 characters');
    spec.name = flags.sutName;
  }
  if (control !== undefined) spec.control = control;
  if (problems.length) throw new SutSpecError(problems.join('; '));
  return spec;
}

/** `sip:127.0.0.1:5090;transport=tcp`, `127.0.0.1:5090`: the PF's SIP address over TCP (port default 5060). */
export function parseSutPfAddress(value: string): { host: string; port: number } {
  const m = /^(?:sips?:)?([^;]+?)(?:;(.*))?$/i.exec(value.trim());
  if (!m) throw new Error(`not a SIP address: ${JSON.stringify(value)}`);
  const params = (m[2] ?? '').toLowerCase();
  if (/(^|;)transport=(?!tcp\b)/.test(params))
    throw new Error('the lab reaches the PF under test over TCP: transport=tcp or none');
  return parseHostPort(m[1]!, { name: 'the PF under test', defaultPort: 5060 });
}

/** `alice (client, control at http://…)`: one line for logs and the report. */
export function describeSut(spec: SutSpec): string {
  const what = spec.side === 'client' ? `client ${spec.user}` : `PF at ${spec.pf?.host}:${spec.pf?.port}`;
  const how =
    spec.mode === 'control'
      ? `control API ${spec.control}`
      : spec.mode === 'manual'
        ? 'driven by an operator'
        : 'network only';
  return `${spec.name ? `${spec.name}: ` : ''}${what} (${how})`;
}
