// lab/sut: the system under test of a conformance run (docs/sut.md): its description, and the drivers that
// make it act in each mode.
import type { LabClient } from '../scenarios/lab-client.js';
import { ControlClientDriver, ControlPfDriver } from './control-driver.js';
import type { SutRun } from './driver.js';
import { ManualClientDriver, ManualPfDriver } from './manual-driver.js';
import { NetworkClientDriver, NetworkPfDriver } from './network-driver.js';
import type { Operator } from './operator.js';
import type { SutSpec } from './spec.js';

export { ControlClientDriver, ControlPfDriver, SutControlError } from './control-driver.js';
export {
  type ClientSutDriver,
  type PfSutDriver,
  type SutGroup,
  type SutRun,
  Undrivable,
} from './driver.js';
export { groupFacts, ManualClientDriver, ManualPfDriver } from './manual-driver.js';
export { NetworkClientDriver, NetworkPfDriver } from './network-driver.js';
export { type OperatorAnswer, Operator } from './operator.js';
export {
  DEFAULT_SUT_ROLE,
  DEFAULT_SUT_TIMEOUT_SECONDS,
  describeSut,
  parseSutPfAddress,
  parseSutSpec,
  SUT_MODES,
  type SutFlags,
  type SutMode,
  type SutSide,
  type SutSpec,
  SutSpecError,
} from './spec.js';

/** The driver for a SUT in its mode; manual mode needs the operator. */
export function sutRun(spec: SutSpec, context: { lab: LabClient; operator?: Operator }): SutRun {
  const timeoutMs = spec.timeoutSeconds * 1000;
  const operator = (): Operator => {
    if (!context.operator)
      throw new Error('mode manual needs an operator (a terminal to answer the prompts)');
    return context.operator;
  };
  if (spec.side === 'client') {
    const user = spec.user!;
    const client =
      spec.mode === 'control'
        ? new ControlClientDriver(spec.control!)
        : spec.mode === 'manual'
          ? new ManualClientDriver(operator(), timeoutMs, user)
          : new NetworkClientDriver(context.lab, user, timeoutMs);
    return { spec: spec as SutSpec & { side: 'client' }, client };
  }
  const pf =
    spec.mode === 'control'
      ? new ControlPfDriver(spec.control!)
      : spec.mode === 'manual'
        ? new ManualPfDriver(operator(), timeoutMs)
        : new NetworkPfDriver();
  return { spec: spec as SutSpec & { side: 'pf' }, pf };
}
