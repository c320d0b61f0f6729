// The schema side of the auth lookup cache (./auth-lookup-cache.ts): one version number that
// triggers bump, in the writer's own transaction, on every change to who may call: a client, a
// client token, an agent's identity. Any writer (this process, the operator CLI, a second
// process) bumps it, so a cache that checks it before each answer never serves a revoked token.

/**
 * Agent columns that change on every signed request or heartbeat and say nothing about who may
 * call. Writing them does not bump the version (that would empty the cache every second per
 * agent), so a cached agent record's copy of them may lag. Nothing that reads agents through the
 * cache uses them; lists of agents read the table.
 */
export const AGENT_COLUMNS_THAT_MAY_LAG = ['last_seen_at', 'last_heartbeat_at'] as const;

/**
 * Every other agent column. A column added to `agents` must be put in one list or the other
 * (auth-lookup-cache.test.ts fails until it is), and the trigger re-created by a migration.
 */
export const AGENT_IDENTITY_COLUMNS = [
  'agent_id',
  'client_id',
  'agent_name',
  'agent_version',
  'os_name',
  'os_version',
  'arch',
  'capabilities',
  'effective_capabilities',
  'capability_warnings',
  'max_parallel_jobs',
  'public_key',
  'fingerprint',
  'identity_conflict',
  'feature_flags_contract_version',
  'last_register_at',
] as const;

const BUMP = 'BEGIN UPDATE auth_version SET version = version + 1 WHERE id = 1; END;';

export const AUTH_VERSION_SQL = `
  CREATE TABLE auth_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
  INSERT INTO auth_version (id, version) VALUES (1, 0);
  CREATE TRIGGER clients_auth_inserted AFTER INSERT ON clients ${BUMP}
  CREATE TRIGGER clients_auth_updated AFTER UPDATE ON clients ${BUMP}
  CREATE TRIGGER clients_auth_deleted AFTER DELETE ON clients ${BUMP}
  CREATE TRIGGER client_tokens_auth_inserted AFTER INSERT ON client_tokens ${BUMP}
  CREATE TRIGGER client_tokens_auth_updated AFTER UPDATE ON client_tokens ${BUMP}
  CREATE TRIGGER client_tokens_auth_deleted AFTER DELETE ON client_tokens ${BUMP}
  CREATE TRIGGER agents_auth_inserted AFTER INSERT ON agents ${BUMP}
  CREATE TRIGGER agents_auth_updated AFTER UPDATE OF ${AGENT_IDENTITY_COLUMNS.join(', ')} ON agents ${BUMP}
  CREATE TRIGGER agents_auth_deleted AFTER DELETE ON agents ${BUMP}
`;
