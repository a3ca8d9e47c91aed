// Other processes, for tests that watch them (they signal us nothing, so the tests poll).

/** Whether a process with this pid exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of this process group exists. */
export function groupAlive(pgid: number): boolean {
  return alive(-pgid);
}

/** Wait for a condition of other processes (polled every 50 ms), bounded by `ms`. */
export async function until(
  what: string,
  probe: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
