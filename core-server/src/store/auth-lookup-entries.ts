// What both stores' auth lookup caches keep (sqlite/auth-lookup-cache.ts and
// postgres/pg-auth-lookup-cache.ts): a bearer token's client with the token's expiry, an agent by
// id, a client's latest agent. The caches differ only in how they learn that `auth_version`
// moved (a synchronous read on SQLite, a round trip on PostgreSQL); the rules about what may be
// kept are here, once:
// - only found rows are kept (random tokens cannot grow the cache), and past MAX_ENTRIES it
//   starts over rather than grow;
// - a kept record is frozen: every request that gets it shares it;
// - a token's expiry is checked against the clock on every answer, not when it was kept;
// - which auth version each request's lookups were answered as of, and which requests were
//   deferred (answered as of the version held, checked where they take effect): AnsweredAsOf.
import type { AgentRecord, ClientRecord } from './records.js';

/** Far more than a studio's agents; past it the cache starts over rather than grow. */
const MAX_ENTRIES = 10_000;

export interface CachedClient {
  client: ClientRecord;
  expiresAtMs: number;
}

export interface AuthLookupKinds {
  clientByToken: CachedClient;
  agent: AgentRecord;
  latestAgentOfClient: AgentRecord;
}
export type AuthLookupKind = keyof AuthLookupKinds;

export class AuthLookupEntries {
  private readonly maps: { [K in AuthLookupKind]: Map<string, AuthLookupKinds[K]> } = {
    clientByToken: new Map(),
    agent: new Map(),
    latestAgentOfClient: new Map(),
  };

  get<K extends AuthLookupKind>(kind: K, key: string): AuthLookupKinds[K] | undefined {
    return this.maps[kind].get(key);
  }

  keep<K extends AuthLookupKind>(kind: K, key: string, value: AuthLookupKinds[K]): void {
    const map = this.maps[kind];
    if (map.size >= MAX_ENTRIES) map.clear();
    const frozen =
      kind === 'clientByToken'
        ? freezeClient(value as CachedClient)
        : freezeAgent(value as AgentRecord);
    map.set(key, frozen as AuthLookupKinds[K]);
  }

  clear(): void {
    for (const map of Object.values(this.maps)) map.clear();
  }
}

/** The token's client while the token is unexpired at `nowMs`. */
export function unexpiredClient(
  found: CachedClient | undefined,
  nowMs: number,
): ClientRecord | undefined {
  return found && found.expiresAtMs > nowMs ? found.client : undefined;
}

function freezeClient(c: CachedClient): CachedClient {
  Object.freeze(c.client);
  return Object.freeze(c);
}

function freezeAgent(a: AgentRecord): AgentRecord {
  Object.freeze(a.capabilities);
  Object.freeze(a.effective_capabilities);
  Object.freeze(a.capability_warnings);
  return Object.freeze(a);
}

/**
 * What CoreStore.authChecks offers the job routes: a deferred request's lookups are answered
 * from the cache as it stands (no version read), and the version they were answered as of is
 * checked where the request takes effect (NonceUse.authVersion, ListClaimableJobsInput).
 */
export interface DeferredAuthChecks {
  defer(request: object): void;
  /** The auth version the request's lookups were answered as of (undefined before any). */
  versionOf(request: object): number | undefined;
  /**
   * For a deferred request about to be refused on what its lookups said: true when the
   * credentials changed since (the refusal may rest on a stale answer; recheck and retry).
   */
  changedSince(request: object): boolean | Promise<boolean>;
  /** The request's next lookups read the auth version first, as an undeferred request's do. */
  recheck(request: object): void;
}

/** Per request: the auth version its lookups were answered as of, and whether it is deferred. */
export class AnsweredAsOf<V> {
  private readonly versions = new WeakMap<object, V>();
  private readonly deferred = new WeakSet<object>();

  defer(request: object): void {
    this.deferred.add(request);
  }

  /**
   * True when the request's lookups need no version read: answered as of one already, or
   * deferred while the cache holds `held` (then answered as of that). A request answered as of
   * a version needs no other: the cache only moves forward (emptied, then filled from the
   * database), so it holds nothing older than that version.
   */
  trusted(request: object, held: V | undefined): boolean {
    if (this.versions.has(request)) return true;
    if (held === undefined || !this.deferred.has(request)) return false;
    this.versions.set(request, held);
    return true;
  }

  /** After a version read for the request (its first answer sets it). */
  read(request: object, version: V): void {
    if (!this.versions.has(request)) this.versions.set(request, version);
  }

  of(request: object): V | undefined {
    return this.versions.get(request);
  }

  /** The version a deferred request was answered as of (undefined for any other request). */
  ofDeferred(request: object): V | undefined {
    return this.deferred.has(request) ? this.versions.get(request) : undefined;
  }

  recheck(request: object): void {
    this.deferred.delete(request);
    this.versions.delete(request);
  }
}
