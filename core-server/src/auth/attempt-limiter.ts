// Counts attempts per key in a sliding window and refuses once a budget is spent
// (→ 429 TOO_MANY_ATTEMPTS with Retry-After). In memory on purpose: a restart resets the
// windows, which only ever helps a legitimate client.
//
// An attempt is RESERVED before the slow work (password hash, database) starts: check and count
// happen in one synchronous step, so N concurrent requests cannot all pass a check made before
// the first of them is recorded. The map is bounded: `prune()` (run by the sweeper) drops keys
// whose attempts all left the window, and past `maxKeys` the oldest keys are evicted.
import { CoreError } from '../errors/core-error.js';

export interface AttemptBudget {
  max: number;
  windowMs: number;
}

export interface BudgetedKey {
  key: string;
  budget: AttemptBudget;
}

export const DEFAULT_MAX_LIMITER_KEYS = 20_000;

export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly clock: () => number,
    private readonly maxKeys = DEFAULT_MAX_LIMITER_KEYS,
  ) {}

  /**
   * Counts one attempt against every key, or none of them: throws TOO_MANY_ATTEMPTS when any key
   * already used its budget. Synchronous on purpose (see the header).
   */
  reserve(keys: BudgetedKey[]): void {
    const now = this.clock();
    for (const { key, budget } of keys) {
      const recent = this.recent(key, budget.windowMs, now);
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
    for (const { key } of keys) {
      const list = this.attempts.get(key) ?? [];
      // Re-inserting moves the key to the end of the Map's order (eviction drops the oldest).
      this.attempts.delete(key);
      list.push(now);
      this.attempts.set(key, list);
    }
    this.evictOverflow();
  }

  /** How many attempts `key` made inside the window (e.g. to pace an account). */
  count(key: string, windowMs: number): number {
    return this.recent(key, windowMs, this.clock()).length;
  }

  reset(key: string): void {
    this.attempts.delete(key);
  }

  /** Takes back the latest attempt of `key` (a success should not spend a shared budget). */
  refund(key: string): void {
    const list = this.attempts.get(key);
    list?.pop();
    if (list?.length === 0) this.attempts.delete(key);
  }

  /** Drops every key without an attempt inside `windowMs` (the longest window in use). */
  prune(windowMs: number): void {
    const floor = this.clock() - windowMs;
    for (const [key, list] of this.attempts) {
      if (list.length === 0 || list[list.length - 1]! <= floor) this.attempts.delete(key);
    }
  }

  get size(): number {
    return this.attempts.size;
  }

  private recent(key: string, windowMs: number, now: number): number[] {
    const list = this.attempts.get(key);
    if (!list) return [];
    const recent = list.filter((t) => t > now - windowMs);
    if (recent.length !== list.length) this.attempts.set(key, recent);
    return recent;
  }

  private evictOverflow(): void {
    for (const key of this.attempts.keys()) {
      if (this.attempts.size <= this.maxKeys) return;
      this.attempts.delete(key);
    }
  }
}
