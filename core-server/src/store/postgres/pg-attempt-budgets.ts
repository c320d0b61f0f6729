// Rate-limit budgets shared by every replica on one PostgreSQL database (the AttemptBudgets of
// auth/attempt-budgets.ts): one row per attempt, counted inside a transaction that holds a
// transaction-scoped advisory lock per key (taken in a fixed order, so two replicas reserving
// overlapping keys never deadlock). Check and count are thus atomic across replicas, as they are
// within one process in memory. Times are Core's clock, like leases.
import type pg from 'pg';
import {
  tooManyAttempts,
  type AttemptBudgets,
  type BudgetedKey,
} from '../../auth/attempt-budgets.js';
import { inTransaction, one, run } from './pg-db.js';

export class PgAttemptBudgets implements AttemptBudgets {
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: () => number,
  ) {}

  async reserve(keys: BudgetedKey[]): Promise<void> {
    const now = this.clock();
    await inTransaction(this.pool, async (tx) => {
      for (const key of [...new Set(keys.map((k) => k.key))].sort()) {
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [key]);
      }
      for (const { key, budget } of keys) {
        const row = await one<{ n: number; oldest: number | null }>(
          tx,
          `SELECT count(*)::int AS n, min(at_ms) AS oldest FROM attempt_events
            WHERE key = $1 AND at_ms > $2`,
          [key, now - budget.windowMs],
        );
        if (row && row.n >= budget.max) throw tooManyAttempts(row.oldest!, budget.windowMs, now);
      }
      for (const { key } of keys) {
        await run(tx, 'INSERT INTO attempt_events (key, at_ms) VALUES ($1, $2)', [key, now]);
      }
    });
  }

  async count(key: string, windowMs: number): Promise<number> {
    const row = await one<{ n: number }>(
      this.pool,
      'SELECT count(*)::int AS n FROM attempt_events WHERE key = $1 AND at_ms > $2',
      [key, this.clock() - windowMs],
    );
    return row?.n ?? 0;
  }

  async reset(key: string): Promise<void> {
    await run(this.pool, 'DELETE FROM attempt_events WHERE key = $1', [key]);
  }

  async refund(key: string): Promise<void> {
    await run(
      this.pool,
      `DELETE FROM attempt_events WHERE id = (
         SELECT id FROM attempt_events WHERE key = $1 ORDER BY at_ms DESC, id DESC LIMIT 1)`,
      [key],
    );
  }

  async bookPacedSlot(key: string, delayMs: number): Promise<number> {
    const row = await one<{ start: number }>(
      this.pool,
      `INSERT INTO attempt_pacing (key, next_slot_ms) VALUES ($1, $2::bigint + $3::bigint)
       ON CONFLICT (key) DO UPDATE
         SET next_slot_ms = GREATEST($2::bigint, attempt_pacing.next_slot_ms) + $3::bigint
       RETURNING next_slot_ms - $3::bigint AS start`,
      [key, this.clock(), delayMs],
    );
    return row!.start;
  }

  async prune(windowMs: number): Promise<void> {
    const now = this.clock();
    await run(this.pool, 'DELETE FROM attempt_events WHERE at_ms <= $1', [now - windowMs]);
    await run(this.pool, 'DELETE FROM attempt_pacing WHERE next_slot_ms <= $1', [now]);
  }

  async trackedKeys(): Promise<number> {
    const row = await one<{ n: number }>(
      this.pool,
      'SELECT count(DISTINCT key)::int AS n FROM attempt_events',
    );
    return row?.n ?? 0;
  }
}
