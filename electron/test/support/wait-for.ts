// Polls a condition with a deadline (the shared helper, with the name of what is awaited first);
// the failure names what was awaited.
import { waitFor as pollUntil } from '@retaia/protocol/testing/wait-for.js';

export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  await pollUntil(cond, { timeoutMs, intervalMs: 10, what });
}
