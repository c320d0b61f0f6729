// Versioned schema of the PostgreSQL store. Whichever replica starts first applies what is
// missing while holding a session advisory lock; the others wait on the lock, then find nothing
// left to do. Never edit a shipped migration: append one. Versions 1 and 2 are the SQLite schema
// as of its versions 5 and 6 (same tables and columns, so `core-server db migrate` copies rows one to one),
// with PostgreSQL types and these differences:
// - text columns are COLLATE "C": ORDER BY compares bytes, as SQLite does (ties, cursors);
// - users.email is unique case-insensitively through an index on lower(email) (SQLite NOCASE);
// - asset_audit and move_journal get a `seq` column for insertion order (SQLite's rowid);
// - asset_search holds tsvectors (name, transcript, notes) with GIN indexes instead of SQLite's
//   FTS5 tables (pg-search.ts);
// - no job_queue_changes: the PostgreSQL poll asks the database every time (pg-jobs.ts);
// - auth_version (v7) is bumped by deferred triggers once per writing transaction, where
//   SQLite's triggers bump it per changed row (pg-auth-lookup-cache.ts says what it trusts).
// Like the SQLite list, it is an append-only history read top to bottom, so it is longer than
// 400 lines.
import type pg from 'pg';
import { CORE_LOCK_NAMESPACE, CORE_LOCKS } from './pg-advisory-locks.js';
import { SCAN_INDEX_CHANGED_SQL } from '../scan-index-sql.js';
import { AGENT_IDENTITY_COLUMNS } from '../sqlite/auth-lookup-sql.js';
import { keyedSortIndexesSql } from '../asset-list-indexes.js';
import { PG_SORT } from './pg-asset-sort.js';

const T = 'TEXT COLLATE "C"';

/**
 * A one-row version table and the trigger function that bumps it once per transaction. Its
 * triggers are created deferred (they run at commit): the bump is part of the change it
 * announces, the version row is the last lock a writer takes, when it will wait for nothing
 * else, so two writers can never deadlock on it, and a scan inserting 100,000 assets bumps it
 * once.
 */
function versionTableSql(table: string, bumpFunction: string, doneSetting: string): string {
  return `
      CREATE TABLE ${table} (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version BIGINT NOT NULL
      );
      INSERT INTO ${table} (id, version) VALUES (1, 0);
      CREATE FUNCTION ${bumpFunction}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('${doneSetting}', true) IS DISTINCT FROM 'yes' THEN
          PERFORM set_config('${doneSetting}', 'yes', true);
          UPDATE ${table} SET version = version + 1 WHERE id = 1;
        END IF;
        RETURN NULL;
      END $$;`;
}

const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema (SQLite schema v5)',
    sql: `
      CREATE TABLE users (
        user_id ${T} PRIMARY KEY,
        email ${T} NOT NULL,
        password_hash ${T} NOT NULL,
        created_at ${T} NOT NULL
      );
      CREATE UNIQUE INDEX users_email_nocase ON users (lower(email));
      CREATE TABLE user_tokens (
        token_hash ${T} PRIMARY KEY,
        user_id ${T} NOT NULL REFERENCES users(user_id),
        expires_at_ms BIGINT NOT NULL
      );
      CREATE TABLE clients (
        client_id ${T} PRIMARY KEY,
        client_kind ${T} NOT NULL,
        label ${T},
        secret_hash ${T},
        approved_at ${T} NOT NULL,
        approved_by_user_id ${T} NOT NULL,
        created_at ${T} NOT NULL
      );
      CREATE TABLE client_tokens (
        token_hash ${T} PRIMARY KEY,
        client_id ${T} NOT NULL REFERENCES clients(client_id),
        expires_at_ms BIGINT NOT NULL
      );
      CREATE INDEX client_tokens_client ON client_tokens(client_id);
      CREATE TABLE device_flows (
        device_code_hash ${T} PRIMARY KEY,
        user_code ${T} NOT NULL UNIQUE,
        client_label ${T},
        status ${T} NOT NULL,
        interval_s INTEGER NOT NULL,
        created_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        last_poll_at_ms BIGINT,
        slow_downs INTEGER NOT NULL DEFAULT 0,
        client_id ${T},
        approved_at ${T},
        approved_by_user_id ${T},
        requester_ip ${T}
      );
      CREATE INDEX device_flows_expires ON device_flows(expires_at_ms);
      CREATE TABLE agents (
        agent_id ${T} PRIMARY KEY,
        client_id ${T} NOT NULL,
        agent_name ${T} NOT NULL,
        agent_version ${T} NOT NULL,
        os_name ${T},
        os_version ${T},
        arch ${T},
        capabilities ${T} NOT NULL,
        effective_capabilities ${T} NOT NULL,
        capability_warnings ${T} NOT NULL,
        max_parallel_jobs INTEGER NOT NULL,
        public_key ${T} NOT NULL,
        fingerprint ${T} NOT NULL,
        identity_conflict INTEGER NOT NULL DEFAULT 0,
        feature_flags_contract_version ${T},
        last_seen_at ${T} NOT NULL,
        last_register_at ${T} NOT NULL,
        last_heartbeat_at ${T}
      );
      CREATE TABLE nonces (
        agent_id ${T} NOT NULL,
        nonce ${T} NOT NULL,
        seen_at_ms BIGINT NOT NULL,
        PRIMARY KEY (agent_id, nonce)
      );
      CREATE INDEX nonces_seen ON nonces(seen_at_ms);
      CREATE TABLE security_events (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at ${T} NOT NULL,
        kind ${T} NOT NULL,
        agent_id ${T},
        client_id ${T},
        detail ${T} NOT NULL
      );
      CREATE INDEX security_events_at ON security_events(at);
      CREATE TABLE assets (
        uuid ${T} PRIMARY KEY,
        media_type ${T} NOT NULL,
        state ${T} NOT NULL,
        relative_path ${T} NOT NULL UNIQUE,
        name ${T} NOT NULL,
        size_bytes BIGINT NOT NULL,
        mtime_ms BIGINT NOT NULL,
        stable_scans INTEGER NOT NULL DEFAULT 0,
        profile ${T} NOT NULL,
        sidecars ${T} NOT NULL DEFAULT '[]',
        facts ${T} NOT NULL DEFAULT '{}',
        transcript ${T},
        revision INTEGER NOT NULL DEFAULT 1,
        created_at ${T} NOT NULL,
        updated_at ${T},
        tags ${T} NOT NULL DEFAULT '[]',
        notes ${T},
        review_processing_version INTEGER NOT NULL DEFAULT 1,
        path_history ${T} NOT NULL DEFAULT '[]'
      );
      CREATE TABLE asset_transitions (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        asset_uuid ${T} NOT NULL,
        from_state ${T} NOT NULL,
        to_state ${T} NOT NULL,
        cause ${T} NOT NULL,
        at ${T} NOT NULL
      );
      CREATE TABLE jobs (
        job_id ${T} PRIMARY KEY,
        asset_uuid ${T} NOT NULL REFERENCES assets(uuid),
        job_type ${T} NOT NULL,
        status ${T} NOT NULL,
        required_capabilities ${T} NOT NULL,
        feature_flag ${T},
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_by ${T},
        lock_token ${T},
        fencing_token BIGINT NOT NULL DEFAULT 0,
        locked_until_ms BIGINT,
        claimed_at ${T},
        completed_at ${T},
        failed_at ${T},
        last_error_code ${T},
        created_at ${T} NOT NULL,
        UNIQUE (asset_uuid, job_type)
      );
      CREATE INDEX jobs_status_order ON jobs(status, created_at, job_id);
      CREATE TABLE job_claims (
        job_id ${T} NOT NULL,
        fencing_token BIGINT NOT NULL,
        lock_token ${T} NOT NULL,
        agent_id ${T} NOT NULL,
        claimed_at ${T} NOT NULL,
        ended_at ${T},
        outcome ${T},
        error_code ${T},
        message ${T},
        retryable INTEGER,
        PRIMARY KEY (job_id, fencing_token)
      );
      CREATE INDEX job_claims_agent ON job_claims(agent_id);
      CREATE TABLE idempotency_keys (
        actor ${T} NOT NULL,
        endpoint ${T} NOT NULL,
        idem_key ${T} NOT NULL,
        request_sha256 ${T} NOT NULL,
        status_code INTEGER,
        response_body ${T},
        created_at_ms BIGINT NOT NULL,
        PRIMARY KEY (actor, endpoint, idem_key)
      );
      CREATE TABLE uploads (
        upload_id ${T} PRIMARY KEY,
        asset_uuid ${T} NOT NULL,
        agent_id ${T} NOT NULL,
        kind ${T} NOT NULL,
        content_type ${T} NOT NULL,
        size_bytes BIGINT NOT NULL,
        sha256 ${T},
        status ${T} NOT NULL,
        created_at ${T} NOT NULL,
        expires_at_ms BIGINT NOT NULL
      );
      CREATE INDEX uploads_agent_status ON uploads(agent_id, status);
      CREATE TABLE upload_parts (
        upload_id ${T} NOT NULL,
        part_number INTEGER NOT NULL,
        size_bytes BIGINT NOT NULL,
        part_etag ${T} NOT NULL,
        PRIMARY KEY (upload_id, part_number)
      );
      CREATE TABLE derived_files (
        asset_uuid ${T} NOT NULL,
        kind ${T} NOT NULL,
        idx INTEGER NOT NULL,
        upload_id ${T} NOT NULL,
        content_type ${T} NOT NULL,
        size_bytes BIGINT NOT NULL,
        sha256 ${T} NOT NULL,
        relative_path ${T} NOT NULL,
        created_at ${T} NOT NULL,
        PRIMARY KEY (asset_uuid, kind, idx)
      );
      CREATE INDEX derived_files_upload ON derived_files(upload_id);
      CREATE TABLE asset_locks (
        asset_uuid ${T} NOT NULL,
        kind ${T} NOT NULL,
        owner ${T} NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        PRIMARY KEY (asset_uuid, kind)
      );
      CREATE TABLE move_journal (
        operation_id ${T} PRIMARY KEY,
        asset_uuid ${T} NOT NULL,
        kind ${T} NOT NULL,
        step ${T} NOT NULL,
        entry ${T} NOT NULL,
        created_at ${T} NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX move_journal_step ON move_journal(step);
      CREATE TABLE asset_audit (
        operation_id ${T} NOT NULL,
        action ${T} NOT NULL,
        asset_uuid ${T} NOT NULL,
        at ${T} NOT NULL,
        details ${T} NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (operation_id, action)
      );
      CREATE INDEX asset_audit_asset ON asset_audit(asset_uuid, seq);
      CREATE TABLE asset_search (
        uuid ${T} PRIMARY KEY,
        name tsvector NOT NULL,
        transcript tsvector NOT NULL,
        notes tsvector NOT NULL
      );
      CREATE INDEX asset_search_name ON asset_search USING GIN (name);
      CREATE INDEX asset_search_transcript ON asset_search USING GIN (transcript);
      CREATE INDEX asset_search_notes ON asset_search USING GIN (notes);
      -- The list orders GET /assets uses most (as SQLite's migration 7).
      CREATE INDEX assets_list_created ON assets((created_at IS NULL), created_at DESC, uuid);
      CREATE INDEX assets_list_updated ON assets((updated_at IS NULL), updated_at DESC, uuid);
      CREATE INDEX assets_list_state_created
        ON assets(state, (created_at IS NULL), created_at DESC, uuid);
    `,
  },
  {
    version: 2,
    name: 'operations surface (SQLite schema v6): when asset locks were taken, unmatched ingest sidecars, last scan',
    sql: `
      ALTER TABLE asset_locks ADD COLUMN acquired_at_ms BIGINT;
      -- A lock taken (or taken over by another owner) gets the time it happened; a refresh by
      -- the same owner keeps it. Set here rather than by each writer, as in SQLite.
      CREATE FUNCTION asset_lock_acquired() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          NEW.acquired_at_ms := COALESCE(NEW.acquired_at_ms,
            (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
        ELSIF OLD.owner IS DISTINCT FROM NEW.owner THEN
          NEW.acquired_at_ms := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER asset_lock_acquired BEFORE INSERT OR UPDATE ON asset_locks
        FOR EACH ROW EXECUTE FUNCTION asset_lock_acquired();
      CREATE TABLE ingest_unmatched (
        path ${T} PRIMARY KEY,
        reason ${T} NOT NULL,
        detected_at ${T} NOT NULL
      );
      CREATE INDEX ingest_unmatched_detected ON ingest_unmatched(detected_at);
      CREATE TABLE ingest_scan_status (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        finished_at ${T} NOT NULL,
        missing INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'rate-limit budgets shared by replicas (no SQLite twin: one process keeps them in memory)',
    sql: `
      CREATE TABLE attempt_events (
        id BIGSERIAL PRIMARY KEY,
        key ${T} NOT NULL,
        at_ms BIGINT NOT NULL
      );
      CREATE INDEX attempt_events_key ON attempt_events(key, at_ms);
      CREATE INDEX attempt_events_at ON attempt_events(at_ms);
      CREATE TABLE attempt_pacing (
        key ${T} PRIMARY KEY,
        next_slot_ms BIGINT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'asset list orders of NOT NULL columns without a NULL test (keyset cursors seek), name sorts from an index (SQLite schema v9)',
    sql: `
      DROP INDEX assets_list_created;
      CREATE INDEX assets_list_created ON assets(created_at DESC, uuid);
      DROP INDEX assets_list_state_created;
      CREATE INDEX assets_list_state_created ON assets(state, created_at DESC, uuid);
      CREATE INDEX assets_list_name ON assets(lower(name), uuid);
      CREATE INDEX assets_list_name_desc ON assets(lower(name) DESC, uuid);
    `,
  },
  {
    version: 5,
    name: 'scan index version kept by triggers on assets, so the INBOX scanner reloads its in-memory index only after a change by any replica (SQLite schema v11)',
    sql: `
      ${versionTableSql('scan_index_version', 'bump_scan_index_version', 'retaia.scan_index_bumped')}
      CREATE CONSTRAINT TRIGGER assets_scan_index_inserted_or_deleted AFTER INSERT OR DELETE ON assets
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION bump_scan_index_version();
      CREATE CONSTRAINT TRIGGER assets_scan_index_changed AFTER UPDATE ON assets
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (${SCAN_INDEX_CHANGED_SQL})
        EXECUTE FUNCTION bump_scan_index_version();
    `,
  },
  {
    version: 6,
    name: "agents by client, newest registration first: a poll finds its client's agent without scanning every agent row (SQLite schema v12)",
    sql: `CREATE INDEX agents_by_client ON agents(client_id, last_register_at DESC);`,
  },
  {
    version: 7,
    name: 'auth version kept by triggers on clients, client tokens and agent identities, so each replica answers bearer and agent lookups from memory until any replica changes who may call (SQLite schema v13)',
    sql: `
      ${versionTableSql('auth_version', 'bump_auth_version', 'retaia.auth_bumped')}
      CREATE CONSTRAINT TRIGGER clients_auth_changed AFTER INSERT OR UPDATE OR DELETE ON clients
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_auth_version();
      CREATE CONSTRAINT TRIGGER client_tokens_auth_changed
        AFTER INSERT OR UPDATE OR DELETE ON client_tokens
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_auth_version();
      CREATE CONSTRAINT TRIGGER agents_auth_changed
        AFTER INSERT OR DELETE OR UPDATE OF ${AGENT_IDENTITY_COLUMNS.join(', ')} ON agents
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_auth_version();
    `,
  },
  {
    version: 8,
    name: 'capture time and duration sorts of the asset list from indexes, each direction; these and -updated_at keyed with a stand-in for a missing value (SQLite schema v14)',
    sql: keyedSortIndexesSql(PG_SORT),
  },
];

export const LATEST_PG_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Applies the missing migrations under the migrations advisory lock; returns their versions. */
export async function runPgMigrations(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [
      CORE_LOCK_NAMESPACE,
      CORE_LOCKS.migrations,
    ]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
      );
      const { rows } = await client.query<{ v: number | null }>(
        'SELECT max(version) AS v FROM schema_migrations',
      );
      const current = rows[0]?.v ?? 0;
      if (current > LATEST_PG_SCHEMA_VERSION) {
        throw new Error(
          `database schema version ${current} is newer than this core-server (${LATEST_PG_SCHEMA_VERSION}); upgrade core-server on every replica`,
        );
      }
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [m.version, m.name, new Date().toISOString()],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [
        CORE_LOCK_NAMESPACE,
        CORE_LOCKS.migrations,
      ]);
    }
  } finally {
    client.release();
  }
}
