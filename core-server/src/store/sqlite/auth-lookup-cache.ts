// Why: every agent request looks up its bearer token's client, and a signed one (or a poll) its
// agent. Under agent load those lookups were 3–7 % of core-server's CPU (a join and a JSON-decoded
// agent row each time; docs/core-performance.md), for rows that change a few times a day.
//
// Answers are kept in memory while `auth_version` is unchanged. Triggers bump it in the same
// transaction as any change to clients, client tokens or agent identities, whoever writes
// (./auth-lookup-sql.ts), and it is read at each request's first lookup (reading it was itself
// ~4 % of the CPU when every lookup did): a revoked token or a re-keyed agent is refused from the
// first request after the commit. What may be kept, and for how long, is
// ../auth-lookup-entries.ts; inside a transaction (whose writes may roll back) nothing is cached.
import type { Database } from 'better-sqlite3';
import {
  AuthLookupEntries,
  type AuthLookupKind,
  type AuthLookupKinds,
} from '../auth-lookup-entries.js';

export class AuthLookupCache {
  private version: number | undefined;
  private readonly entries = new AuthLookupEntries();
  /** Requests whose first lookup read the version: their later lookups trust it. */
  private readonly checked = new WeakSet<object>();

  constructor(private readonly db: Database) {}

  /** The kept answer, or `load()`'s (kept when found and when this connection may cache). */
  lookup<K extends AuthLookupKind>(
    kind: K,
    key: string,
    request: object | undefined,
    load: () => AuthLookupKinds[K] | undefined,
  ): AuthLookupKinds[K] | undefined {
    if (!this.usable(request)) return load();
    const hit = this.entries.get(kind, key);
    if (hit) return hit;
    const loaded = load();
    if (loaded) this.entries.keep(kind, key, loaded);
    return loaded;
  }

  /**
   * Reads the version (once per request); a change empties the cache. False inside a
   * transaction. A request checked earlier needs no read: the cache only ever moves forward
   * (emptied, then filled from the database), so it holds nothing older than that check.
   */
  private usable(request: object | undefined): boolean {
    if (this.db.inTransaction) return false;
    if (request && this.checked.has(request)) return true;
    if (request) this.checked.add(request);
    const { version } = this.db.prepare('SELECT version FROM auth_version WHERE id = 1').get() as {
      version: number;
    };
    if (version !== this.version) {
      this.version = version;
      this.entries.clear();
    }
    return true;
  }
}
