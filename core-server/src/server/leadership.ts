// Which replica runs the background work that must not run twice at the same time: the discovery
// scan, the sweeper (lease expiry, upload GC, pruning) and the recovery of moves, purges and
// publications a dead process left half done. HTTP requests are served by every replica.
//
// Two backends (docs/replicas.md):
//  * SQLite: one process owns the database file, so that process is always the leader.
//  * PostgreSQL: a session advisory lock held on a dedicated connection (leadership-postgres.ts).
//    The lock dies with the process or its connection; another replica takes it at its next
//    attempt, at most one attempt interval (half the lease) later.

import type pino from 'pino';
import type { MoveContext } from '../moves/index.js';
import { PostgresLeadership } from './leadership-postgres.js';

/** What the server does when leadership arrives or goes. */
export interface LeadershipEvents {
  /** Became leader (also at start when the first attempt wins). Errors are the caller's to log. */
  onAcquired?(): void | Promise<void>;
  /** Stopped being leader (connection lost, lock not held any more). */
  onLost?(reason: string): void;
}

export interface Leadership {
  /** For logs and health checks: how leadership is decided. */
  readonly kind: 'single-process' | 'postgres-advisory-lock';
  /** True while this process may run the leader's work. */
  isLeader(): boolean;
  /** First attempt (resolved when done), then keeps trying in the background until close(). */
  start(events?: LeadershipEvents): Promise<void>;
  /** One attempt now: takes leadership when free, checks it is still held when held. */
  attempt(): Promise<boolean>;
  /**
   * Whether the process that used `owner` as its move-lock owner still runs. Recovery only
   * finishes operations of dead owners: a live replica is still working on its own.
   */
  ownerAlive(owner: string): Promise<boolean>;
  /** Gives leadership up (another replica takes it at its next attempt). Idempotent. */
  close(): Promise<void>;
}

/**
 * SQLite: one Core process per database file, so it leads from start to close. Every other
 * owner seen in the move journal belongs to an earlier run of this process: dead.
 */
export class SingleProcessLeadership implements Leadership {
  readonly kind = 'single-process' as const;
  private closed = false;

  constructor(private readonly owner: string) {}

  isLeader() {
    return !this.closed;
  }

  async start(events: LeadershipEvents = {}) {
    await events.onAcquired?.();
  }

  async attempt() {
    return this.isLeader();
  }

  async ownerAlive(owner: string) {
    return owner === this.owner;
  }

  async close() {
    this.closed = true;
  }
}

/**
 * The journal as recovery should see it: only operations whose owner process is gone. A live
 * replica's in-flight move is its own to finish (recovery would otherwise take its lock, since
 * locks are re-entrant for the same owner).
 */
export function movesOfDeadOwners(moves: MoveContext, leadership: Leadership): MoveContext {
  const journal = moves.journal;
  return {
    ...moves,
    journal: {
      tryAcquireLock: (req) => journal.tryAcquireLock(req),
      releaseLock: (uuid, kind, owner) => journal.releaseLock(uuid, kind, owner),
      saveEntry: (entry) => journal.saveEntry(entry),
      appendAudit: (event) => journal.appendAudit(event),
      async unfinishedEntries() {
        const entries = await journal.unfinishedEntries();
        const dead = await Promise.all(
          entries.map(async (e) => !(await leadership.ownerAlive(e.lock_owner))),
        );
        return entries.filter((_, i) => dead[i]);
      },
    },
  };
}

/** PostgreSQL (a postgres:// URL) elects a leader among replicas; SQLite has one process. */
export function createLeadership(opts: {
  databaseUrl?: string | undefined;
  owner: string;
  leaseMs?: number;
  logger?: pino.Logger;
}): Leadership {
  if (!opts.databaseUrl) return new SingleProcessLeadership(opts.owner);
  return new PostgresLeadership({
    connectionString: opts.databaseUrl,
    owner: opts.owner,
    ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
}
