// The attempt budgets behind Core's rate limits (device starts, password and client-secret
// guesses, the pacing of one account's guesses). One Core process keeps them in memory
// (AttemptLimiter); replicas on PostgreSQL share them through the database, so N replicas behind
// a load balancer do not hand an attacker N budgets. Times are Core's clock (replicas' clocks are
// expected to be NTP-synchronised, as for leases).
import { CoreError } from '../errors/core-error.js';

export interface AttemptBudget {
  max: number;
  windowMs: number;
}

export interface BudgetedKey {
  key: string;
  budget: AttemptBudget;
}

export interface AttemptBudgets {
  /**
   * Counts one attempt against every key, or none of them: rejects with TOO_MANY_ATTEMPTS when
   * any key already used its budget. Check and count are one atomic step, so concurrent requests
   * cannot all pass a check made before the first of them is recorded.
   */
  reserve(keys: BudgetedKey[]): Promise<void>;
  /** How many attempts `key` made inside the window (e.g. to pace an account). */
  count(key: string, windowMs: number): Promise<number>;
  reset(key: string): Promise<void>;
  /** Takes back the latest attempt of `key` (a success should not spend a shared budget). */
  refund(key: string): Promise<void>;
  /**
   * Books the next paced slot of `key`, `delayMs` after the previous booking (or now, if that
   * is past), and returns when the booked attempt may start.
   */
  bookPacedSlot(key: string, delayMs: number): Promise<number>;
  /** Forgets attempts older than `windowMs` (the longest window in use) and past slots. */
  prune(windowMs: number): Promise<void>;
  /** How many keys are remembered (bounded housekeeping is tested through it). */
  trackedKeys(): Promise<number>;
}

export function tooManyAttempts(oldestInWindowMs: number, windowMs: number, nowMs: number) {
  const retryAfterS = Math.max(1, Math.ceil((oldestInWindowMs + windowMs - nowMs) / 1000));
  return new CoreError(
    'TOO_MANY_ATTEMPTS',
    429,
    `too many attempts; retry in ${retryAfterS} s`,
    true,
    { retry_after_seconds: retryAfterS },
    { 'retry-after': String(retryAfterS) },
  );
}
