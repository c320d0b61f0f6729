// What both stores' auth lookup caches keep (sqlite/auth-lookup-cache.ts and
// postgres/pg-auth-lookup-cache.ts): a bearer token's client with the token's expiry, an agent by
// id, a client's latest agent. The caches differ only in how they learn that `auth_version`
// moved (a synchronous read on SQLite, a round trip on PostgreSQL); the rules about what may be
// kept are here, once:
// - only found rows are kept (random tokens cannot grow the cache), and past MAX_ENTRIES it
//   starts over rather than grow;
// - a kept record is frozen: every request that gets it shares it;
// - a token's expiry is checked against the clock on every answer, not when it was kept.
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
