// Mode `manual`: the runner tells an operator what to do to the SUT and waits for the answer (Enter when
// done, `skip` when it cannot be done), within a timeout. At an interop event the operator is a person at the
// terminal; a test answers the prompts through a stream.
import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';

export type OperatorAnswer = 'done' | 'skip' | 'timeout';

export class Operator {
  readonly #lines: Interface;
  readonly #say: (text: string) => void;
  #waiting: ((line: string) => void) | undefined;
  #closed = false;

  /**
   * @param input where the answers come from (stdin at a terminal)
   * @param say where the prompts go (stderr, next to the progress)
   */
  constructor(input: Readable, say: (text: string) => void) {
    this.#say = say;
    this.#lines = createInterface({ input, terminal: false });
    this.#lines.on('line', (line) => {
      // A line typed while no prompt is open answers nothing (it is not kept for the next prompt).
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.(line);
    });
    this.#lines.on('close', () => {
      this.#closed = true;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.('skip');
    });
  }

  /** Show `instruction` and wait for the operator: Enter (or `done`, `y`) = done; `skip` (or `n`) = cannot. */
  ask(instruction: string, timeoutMs: number): Promise<OperatorAnswer> {
    if (this.#closed) return Promise.resolve('skip');
    if (this.#waiting) throw new Error('one prompt at a time');
    this.#say(
      `>>> OPERATOR: ${instruction}\n>>> press Enter when done, or type "skip" if it cannot be done (${Math.round(timeoutMs / 1000)} s)`,
    );
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        resolve('timeout');
      }, timeoutMs);
      this.#waiting = (line) => {
        clearTimeout(timer);
        const answer = line.trim().toLowerCase();
        resolve(answer === 'skip' || answer === 'n' || answer === 'no' ? 'skip' : 'done');
      };
    });
  }

  close(): void {
    this.#lines.close();
  }
}
