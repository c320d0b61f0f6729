// Counts attempts per key in a sliding window and refuses once the budget is spent
// (→ 429 TOO_MANY_ATTEMPTS with Retry-After). In memory on purpose: a restart resets the
// windows, which only ever helps a legitimate client.
import { CoreError } from '../errors/core-error.js';

export interface AttemptBudget {
  max: number;
  windowMs: number;
}

export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(private readonly clock: () => number) {}

  /** Throws TOO_MANY_ATTEMPTS when `key` already used its budget; otherwise does nothing. */
  check(key: string, budget: AttemptBudget): void {
    const now = this.clock();
    const recent = (this.attempts.get(key) ?? []).filter((t) => t > now - budget.windowMs);
    this.attempts.set(key, recent);
    if (recent.length >= budget.max) {
      const retryAfterS = Math.max(1, Math.ceil((recent[0]! + budget.windowMs - now) / 1000));
      throw new CoreError(
        'TOO_MANY_ATTEMPTS',
        429,
        `too many attempts; retry in ${retryAfterS} s`,
        true,
        { retry_after_seconds: retryAfterS },
        { 'retry-after': String(retryAfterS) },
      );
    }
  }

  record(key: string): void {
    const list = this.attempts.get(key) ?? [];
    list.push(this.clock());
    this.attempts.set(key, list);
  }

  reset(key: string): void {
    this.attempts.delete(key);
  }
}
