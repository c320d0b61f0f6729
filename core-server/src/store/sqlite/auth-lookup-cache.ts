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
//
// The job loop's requests (poll, claim, submit) skip that read: they are deferred, answered as of
// the version the cache already holds, and the version is read again inside the transaction
// where they take effect (./jobs/signed-once.ts, ./jobs/list-claimable-jobs.ts). Read there, it
// costs a couple of µs instead of ~14 (a read outside a transaction takes and drops a WAL
// snapshot), and a revocation committed while the request ran cannot slip past it.
import type { Database } from 'better-sqlite3';
import {
  AnsweredAsOf,
  AuthLookupEntries,
  type AuthLookupKind,
  type AuthLookupKinds,
  type DeferredAuthChecks,
} from '../auth-lookup-entries.js';

/** The version every change to clients, client tokens and agent identities bumps. */
export function currentAuthVersion(db: Database): number {
  return (db.prepare('SELECT version FROM auth_version WHERE id = 1').get() as { version: number })
    .version;
}

export class AuthLookupCache implements DeferredAuthChecks {
  private version: number | undefined;
  private readonly entries = new AuthLookupEntries();
  private readonly requests = new AnsweredAsOf<number>();

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

  defer(request: object): void {
    this.requests.defer(request);
  }

  versionOf(request: object): number | undefined {
    return this.requests.of(request);
  }

  changedSince(request: object): boolean {
    const asOf = this.requests.ofDeferred(request);
    return asOf !== undefined && this.readVersion() !== asOf;
  }

  recheck(request: object): void {
    this.requests.recheck(request);
  }

  /**
   * Reads the version (once per request, none for a deferred one once the cache holds a
   * version: AnsweredAsOf.trusted); a change empties the cache. False inside a transaction.
   */
  private usable(request: object | undefined): boolean {
    if (this.db.inTransaction) return false;
    if (request && this.requests.trusted(request, this.version)) return true;
    const version = this.readVersion();
    if (request) this.requests.read(request, version);
    return true;
  }

  private readVersion(): number {
    const version = currentAuthVersion(this.db);
    if (version !== this.version) {
      this.version = version;
      this.entries.clear();
    }
    return version;
  }
}
