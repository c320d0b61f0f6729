// Why: every agent request looks up its bearer token's client, and a signed one (or a poll) its
// agent. Under agent load those lookups were 3–7 % of core-server's CPU (a join and a JSON-decoded
// agent row each time; docs/core-performance.md), for rows that change a few times a day.
//
// Answers are kept in memory while `auth_version` is unchanged. Triggers bump it in the same
// transaction as any change to clients, client tokens or agent identities, whoever writes
// (./auth-lookup-sql.ts), and it is read at each request's first lookup (reading it was itself
// ~4 % of the CPU when every lookup did): a revoked token or a re-keyed agent is refused from the
// first request after the commit. Token expiry is checked
// against the clock on every answer. Unknown tokens and agents are never cached, so callers
// cannot grow the cache; inside a transaction (whose writes may roll back) nothing is cached.
import type { Database } from 'better-sqlite3';
import type { AgentRecord, ClientRecord } from '../records.js';

/** Far more than a studio's agents; past it the cache starts over rather than grow. */
const MAX_ENTRIES = 10_000;

interface CachedClient {
  client: ClientRecord;
  expiresAtMs: number;
}

export class AuthLookupCache {
  private version: number | undefined;
  private readonly clients = new Map<string, CachedClient>();
  private readonly agents = new Map<string, AgentRecord>();
  private readonly latestOfClient = new Map<string, AgentRecord>();
  /** Requests whose first lookup read the version: their later lookups trust it. */
  private readonly checked = new WeakSet<object>();

  constructor(private readonly db: Database) {}

  clientByToken(
    tokenHash: string,
    nowMs: number,
    request: object | undefined,
    load: () => CachedClient | undefined,
  ): ClientRecord | undefined {
    const usable = this.usable(request);
    let found = usable ? this.clients.get(tokenHash) : undefined;
    if (!found) {
      found = load();
      if (found && usable) this.keep(this.clients, tokenHash, freezeClient(found));
    }
    return found && found.expiresAtMs > nowMs ? found.client : undefined;
  }

  agent(
    agentId: string,
    request: object | undefined,
    load: () => AgentRecord | undefined,
  ): AgentRecord | undefined {
    return this.cached(this.agents, agentId, request, load);
  }

  latestAgentOfClient(
    clientId: string,
    request: object | undefined,
    load: () => AgentRecord | undefined,
  ) {
    return this.cached(this.latestOfClient, clientId, request, load);
  }

  private cached(
    map: Map<string, AgentRecord>,
    key: string,
    request: object | undefined,
    load: () => AgentRecord | undefined,
  ): AgentRecord | undefined {
    if (!this.usable(request)) return load();
    const hit = map.get(key);
    if (hit) return hit;
    const loaded = load();
    if (loaded) this.keep(map, key, freezeAgent(loaded));
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
      this.clients.clear();
      this.agents.clear();
      this.latestOfClient.clear();
    }
    return true;
  }

  private keep<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= MAX_ENTRIES) map.clear();
    map.set(key, value);
  }
}

// Cached records are shared by every request that gets them: frozen, so no caller can change
// what the next one sees.
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
