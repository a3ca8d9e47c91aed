// A transaction state machine asked to make a transition its figure does not have (RFC 3261 §17, Figures 5–8,
// RFC 6026): a bug in the stack, never the peer's doing (peers' messages are matched against the state
// first). It is never ignored silently: under test it throws (the test fails where it happened); in a
// running node it goes to the layer's error listeners and the transaction stays where it was.

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine}: no transition ${from} → ${to}`);
  }
}

/** Whether to throw at once (vitest sets VITEST) rather than only report. */
const THROW = process.env.VITEST !== undefined || process.env.CPM_LAB_STRICT_STATE_MACHINES === '1';

export function illegalTransition(
  machine: string,
  from: string,
  to: string,
  report: (err: IllegalTransitionError) => void,
  strict = THROW,
): void {
  const err = new IllegalTransitionError(machine, from, to);
  if (strict) throw err;
  report(err);
}
