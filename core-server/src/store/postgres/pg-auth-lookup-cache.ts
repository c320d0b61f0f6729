// PostgreSQL's twin of ../sqlite/auth-lookup-cache.ts: bearer and agent lookups answered from
// memory while `auth_version` holds. Every replica reads the version at each request's first
// lookup (one round trip instead of one per lookup), and triggers bump it, deferred to the
// writer's commit, on any change to clients, client tokens or agent identities, whichever
// replica or operator command writes: a revoked token or a re-keyed agent is refused by every
// replica from the first request that starts after the commit. (LISTEN/NOTIFY would not do: it
// arrives after the commit, so a request in between would still be served from the old entry.)
//
// As on SQLite, the job loop's requests can be deferred (CoreStore.authChecks): answered as of
// the version the cache holds, with no round trip, and the version compared again by the
// statement that takes the request's nonce (./pg-signed-once.ts) or right before the poll's
// query. Without SQLite's single writer, a revocation can still commit while that statement
// runs; the window is one statement instead of the whole request.
//
// Lookups are asynchronous here, so two more rules than on SQLite:
// - the version only moves forward: answers to two version reads can arrive out of order, and
//   an older one must not empty the cache for nothing, nor label what it holds as older;
// - a load stores its answer only if the cache was not emptied while the load ran: a load that
//   started before a revocation was seen may have read the row as it was before it, and must
//   not be kept under the newer version.
import type pg from 'pg';
import {
  AnsweredAsOf,
  AuthLookupEntries,
  type AuthLookupKind,
  type AuthLookupKinds,
  type DeferredAuthChecks,
} from '../auth-lookup-entries.js';
import { one, type Queryable } from './pg-db.js';

/** The version every change to clients, client tokens and agent identities bumps. */
export async function pgAuthVersion(q: Queryable): Promise<bigint> {
  const row = await one<{ version: string }>(q, 'SELECT version FROM auth_version WHERE id = 1');
  return BigInt(row!.version);
}

export class PgAuthLookupCache implements DeferredAuthChecks {
  private version: bigint | undefined;
  /** Bumped each time the cache is emptied. */
  private generation = 0;
  private readonly entries = new AuthLookupEntries();
  private readonly requests = new AnsweredAsOf<bigint>();

  constructor(private readonly pool: pg.Pool) {}

  async lookup<K extends AuthLookupKind>(
    kind: K,
    key: string,
    request: object | undefined,
    load: () => Promise<AuthLookupKinds[K] | undefined>,
  ): Promise<AuthLookupKinds[K] | undefined> {
    await this.check(request);
    const hit = this.entries.get(kind, key);
    if (hit) return hit;
    const generation = this.generation;
    const loaded = await load();
    if (loaded && generation === this.generation) this.entries.keep(kind, key, loaded);
    return loaded;
  }

  defer(request: object): void {
    this.requests.defer(request);
  }

  versionOf(request: object): number | undefined {
    const asOf = this.requests.of(request);
    return asOf === undefined ? undefined : Number(asOf);
  }

  async changedSince(request: object): Promise<boolean> {
    const asOf = this.requests.ofDeferred(request);
    return asOf !== undefined && (await this.readVersion()) !== asOf;
  }

  recheck(request: object): void {
    this.requests.recheck(request);
  }

  private async check(request: object | undefined): Promise<void> {
    if (request && this.requests.trusted(request, this.version)) return;
    const version = await this.readVersion();
    if (request) this.requests.read(request, version);
  }

  /** The version now; a newer one than the cache's empties it (an older answer changes nothing). */
  private async readVersion(): Promise<bigint> {
    const version = await pgAuthVersion(this.pool);
    if (this.version === undefined || version > this.version) {
      this.version = version;
      this.generation++;
      this.entries.clear();
    }
    return version;
  }
}
