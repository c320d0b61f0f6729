// Which replica runs the background work that must not run twice at the same time: the discovery
// scan, the sweeper (lease expiry, upload GC, pruning) and the recovery of moves, purges and
// publications a dead process left half done. HTTP requests are served by every replica.
//
// Two backends (docs/replicas.md):
//  * SQLite: one process owns the database file, so that process is always the leader.
//  * PostgreSQL: a session advisory lock held on a dedicated connection (leadership-postgres.ts).
//    The lock dies with the process or its connection; another replica takes it at its next
//    attempt, at most one attempt interval (half the lease) later.

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
