// The one polling helper of the test suites: checks a condition until it holds or a deadline
// passes, and names what was awaited when it gives up. Test-support modules of every package
// wrap it with their own argument order instead of writing another loop.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this long (default 5 s). */
  timeoutMs?: number;
  /** Pause between two checks (default 25 ms). */
  intervalMs?: number;
  /** What is awaited, for the timeout message (a function is called only on timeout). */
  what?: string | (() => string);
}

/** A check still running this long after the deadline is reported as hung. */
const HUNG_CHECK_GRACE_MS = 15_000;

/**
 * Resolves with the first truthy value `check` returns; throws once `timeoutMs` has passed.
 * A check that never settles (a request to a wedged server, say) fails the wait too, naming what
 * was awaited, instead of holding the test open until the runner's file timeout.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 5_000, intervalMs = 25, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  const describe = () => (typeof what === 'function' ? what() : what);
  for (;;) {
    const value = await settleBefore(check(), deadline + HUNG_CHECK_GRACE_MS, () => {
      return new Error(`a check never returned while waiting for ${describe()}`);
    });
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`);
    }
    await sleep(intervalMs);
  }
}

async function settleBefore<T>(
  value: T | Promise<T>,
  limitAtMs: number,
  onHung: () => Error,
): Promise<T> {
  if (!(value instanceof Promise)) return value;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onHung()), Math.max(0, limitAtMs - Date.now()));
  });
  try {
    return await Promise.race([value, hung]);
  } finally {
    clearTimeout(timer);
  }
}
