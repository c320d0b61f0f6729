// Leadership among replicas sharing one PostgreSQL database: a session advisory lock held on a
// dedicated connection (not a pooled one: a session lock belongs to the connection that took it).
//
// * Takeover: the lock is released by the server the moment the holder's session ends (process
//   killed, connection closed). Followers try every `leaseMs / 2`, so one of them leads again
//   within half a lease of the holder's death.
// * A holder whose machine vanished (no FIN ever reaches the server): its session runs with
//   idle_session_timeout = leaseMs, and the holder touches it every leaseMs / 2, so the server
//   ends the session (and the lock) one lease after the last sign of life.
// * A holder that loses its connection or whose check fails (query_timeout = leaseMs / 2) steps
//   down at once and reconnects at its next attempt, as a follower.
// * Liveness of move owners: each replica also holds a session lock named after its move-lock
//   owner. The leader recovers a half-done move only when no session holds its owner's lock.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type pino from 'pino';
import { CORE_LOCK_NAMESPACE, CORE_LOCKS } from '../store/postgres/pg-advisory-locks.js';
import type { Leadership, LeadershipEvents } from './leadership.js';

/** The leader lock, in the two-int form; owner locks use the one-bigint form (no overlap). */
const LEADER_LOCK = [CORE_LOCK_NAMESPACE, CORE_LOCKS.leader];

export interface PostgresLeadershipOptions {
  connectionString: string;
  /** This replica's move-lock owner (held as a session lock while the replica runs). */
  owner: string;
  /** Takeover bound after the leader dies; attempts run every leaseMs / 2. Default 10 s. */
  leaseMs?: number;
  logger?: pino.Logger;
}

/** The one-bigint advisory key for a move-lock owner, as the decimal text pg accepts. */
const ownerKey = (owner: string) =>
  createHash('sha256').update(`retaia-move-owner:${owner}`).digest().readBigInt64BE(0);

export class PostgresLeadership implements Leadership {
  readonly kind = 'postgres-advisory-lock' as const;
  readonly leaseMs: number;
  private client: pg.Client | undefined;
  private leader = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<boolean> | undefined;
  private events: LeadershipEvents = {};
  /** The running onAcquired handler (start() waits for the first one). */
  private acquired: Promise<void> | undefined;

  constructor(private readonly opts: PostgresLeadershipOptions) {
    this.leaseMs = opts.leaseMs ?? 10_000;
    if (!(this.leaseMs >= 200))
      throw new Error(`leaseMs must be at least 200 ms, not ${opts.leaseMs}`);
  }

  get intervalMs() {
    return Math.floor(this.leaseMs / 2);
  }

  isLeader() {
    return this.leader && !this.closed;
  }

  async start(events: LeadershipEvents = {}) {
    this.events = events;
    await this.attempt();
    await this.acquired;
    if (this.closed) return;
    this.timer = setInterval(() => void this.attempt(), this.intervalMs);
    this.timer.unref();
  }

  attempt(): Promise<boolean> {
    // One attempt at a time: a slow server must not stack connections.
    this.inFlight ??= this.attemptOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  async ownerAlive(owner: string): Promise<boolean> {
    if (owner === this.opts.owner) return !this.closed;
    const client = this.client;
    if (!client)
      throw new Error('leadership connection is down: cannot tell whether a move owner is alive');
    const key = BigInt.asUintN(64, ownerKey(owner));
    const r = await client.query<{ held: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND objsubid = 1
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid = $1::bigint::oid AND objid = $2::bigint::oid) AS held`,
      [String(key >> 32n), String(key & 0xffffffffn)],
    );
    return r.rows[0]!.held;
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.inFlight?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    this.leader = false;
    // Ending the session releases both locks at once: a follower leads at its next attempt.
    await client?.end().catch(() => undefined);
  }

  private async attemptOnce(): Promise<boolean> {
    if (this.closed) return false;
    let client = this.client;
    try {
      client ??= await this.connect();
      if (this.leader) {
        await client.query('SELECT 1'); // the session lives, so its lock is still ours
      } else {
        const r = await client.query<{ got: boolean }>(
          'SELECT pg_try_advisory_lock($1::int, $2::int) AS got',
          LEADER_LOCK,
        );
        if (r.rows[0]!.got && !this.closed) {
          this.leader = true;
          this.opts.logger?.info(
            { lease_ms: this.leaseMs },
            'leadership acquired: this replica runs discovery, sweeps and recovery',
          );
          // Not awaited here: pings must go on while a long recovery runs (an idle session past
          // the lease is ended by the server, lock and all).
          this.acquired = Promise.resolve()
            .then(() => this.events.onAcquired?.())
            .catch((err) => this.opts.logger?.error({ err }, 'leader work after acquiring failed'));
        }
      }
    } catch (err) {
      if (client) this.drop(client, (err as Error).message);
      else this.opts.logger?.warn({ err }, 'leadership: cannot reach PostgreSQL; will retry');
    }
    return this.isLeader();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      // Operators (and the replica tests) see which process leads in pg_stat_activity.
      application_name: `retaia-core leadership pid ${process.pid}`,
      query_timeout: this.intervalMs,
      connectionTimeoutMillis: this.leaseMs,
      keepAlive: true,
    });
    client.on('error', (err) => this.drop(client, err.message));
    client.on('end', () => this.drop(client, 'connection closed'));
    try {
      await client.connect();
      await client.query(`SET idle_session_timeout = ${this.leaseMs}`);
      await client.query('SELECT pg_advisory_lock($1::bigint)', [
        String(ownerKey(this.opts.owner)),
      ]);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('leadership closed while connecting');
    }
    this.client = client;
    return client;
  }

  /** Forgets a broken connection; a leader steps down (its lock may already be someone else's). */
  private drop(client: pg.Client, reason: string) {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.leader) {
      this.leader = false;
      if (!this.closed) {
        this.opts.logger?.warn(
          { reason },
          'leadership lost: background work stops on this replica',
        );
        this.events.onLost?.(reason);
      }
    }
  }
}
