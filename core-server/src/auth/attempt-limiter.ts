// The in-memory AttemptBudgets of a single Core process (SQLite). In memory on purpose: a
// restart resets the windows, which only ever helps a legitimate client. Replicas share theirs
// through PostgreSQL instead (store/postgres/pg-attempt-budgets.ts).
//
// Each method does its work before its first await, so check and count happen in one
// synchronous step. The map is bounded: `prune()` (run by the sweeper) drops keys whose attempts
// all left the window, and past `maxKeys` the oldest keys are evicted.
import { tooManyAttempts, type AttemptBudgets, type BudgetedKey } from './attempt-budgets.js';

export const DEFAULT_MAX_LIMITER_KEYS = 20_000;

export class AttemptLimiter implements AttemptBudgets {
  private readonly attempts = new Map<string, number[]>();
  /** account key → earliest start of its next paced attempt. */
  private readonly nextSlot = new Map<string, number>();

  constructor(
    private readonly clock: () => number,
    private readonly maxKeys = DEFAULT_MAX_LIMITER_KEYS,
  ) {}

  async reserve(keys: BudgetedKey[]): Promise<void> {
    const now = this.clock();
    for (const { key, budget } of keys) {
      const recent = this.recent(key, budget.windowMs, now);
      if (recent.length >= budget.max) throw tooManyAttempts(recent[0]!, budget.windowMs, now);
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

  async count(key: string, windowMs: number): Promise<number> {
    return this.recent(key, windowMs, this.clock()).length;
  }

  async reset(key: string): Promise<void> {
    this.attempts.delete(key);
  }

  async refund(key: string): Promise<void> {
    const list = this.attempts.get(key);
    list?.pop();
    if (list?.length === 0) this.attempts.delete(key);
  }

  async bookPacedSlot(key: string, delayMs: number): Promise<number> {
    const start = Math.max(this.clock(), this.nextSlot.get(key) ?? 0);
    this.nextSlot.set(key, start + delayMs);
    return start;
  }

  async prune(windowMs: number): Promise<void> {
    const now = this.clock();
    const floor = now - windowMs;
    for (const [key, list] of this.attempts) {
      if (list.length === 0 || list[list.length - 1]! <= floor) this.attempts.delete(key);
    }
    for (const [key, at] of this.nextSlot) if (at <= now) this.nextSlot.delete(key);
  }

  async trackedKeys(): Promise<number> {
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
