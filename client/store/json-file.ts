// Atomic, batched JSON persistence for the per-user client store: every change schedules one write of the
// whole document (coalesced on the next event-loop turn), written to a temp file, fsynced, then renamed over
// the old one, so a crash leaves either the old or the new document, never a torn one. No synchronous I/O.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export type StoreErrorCode = 'corrupt' | 'io' | 'closed' | 'exists';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Read a JSON document; undefined when the file does not exist. Throws StoreError('corrupt' | 'io'). */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreError('io', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new StoreError('corrupt', `${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Write `data` (a value, or JSON text already serialized) atomically: temp file, fsync, rename. */
export async function writeJsonFileAtomic(path: string, data: unknown): Promise<void> {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new StoreError('io', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Coalesces changes into whole-document writes, one at a time. `markDirty()` after each change; `flush()`
 * resolves once every change made before it is on disk (and rejects with the write error if one failed).
 */
export class BatchedJsonWriter {
  readonly #path: string;
  readonly #snapshot: () => unknown;
  readonly #onError: (err: StoreError) => void;
  #dirty = false;
  #scheduled = false;
  #running: Promise<void> | undefined;
  #lastError: StoreError | undefined;

  constructor(path: string, snapshot: () => unknown, onError: (err: StoreError) => void = () => undefined) {
    this.#path = path;
    this.#snapshot = snapshot;
    this.#onError = onError;
  }

  markDirty(): void {
    this.#dirty = true;
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#start();
    });
  }

  #start(): void {
    if (this.#running || !this.#dirty) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  async #drain(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false;
      // Serialized synchronously: later changes mark the writer dirty again and get their own write.
      let text: string;
      try {
        text = JSON.stringify(this.#snapshot());
        await writeJsonFileAtomic(this.#path, text);
        this.#lastError = undefined;
      } catch (err) {
        const storeErr = err instanceof StoreError ? err : new StoreError('io', String(err), { cause: err });
        // Keep the change pending: the next markDirty() or flush() tries again.
        this.#dirty = true;
        this.#lastError = storeErr;
        this.#onError(storeErr);
        return;
      }
    }
  }

  /** Write any pending change now and wait until the document on disk is current. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#running) await this.#running;
      else if (this.#dirty) this.#start();
      else break;
      if (this.#lastError) {
        const err = this.#lastError;
        this.#lastError = undefined;
        throw err;
      }
    }
  }
}
