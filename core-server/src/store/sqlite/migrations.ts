// Versioned schema migrations, applied in order at start inside one transaction each. Never edit
// a shipped migration: append a new one. `user_version` records the last applied version. One
// append-only list, read top to bottom as the schema's history, so it is longer than 400 lines.
import type { Database } from 'better-sqlite3';
import { SCAN_INDEX_CHANGED_SQL } from '../scan-index-sql.js';
import { AUTH_VERSION_SQL } from './auth-lookup-sql.js';
import { SQLITE_SORT } from '../../domain/asset-sort.js';
import { keyedSortIndexesSql } from '../asset-list-indexes.js';

export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE user_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(user_id),
        expires_at_ms INTEGER NOT NULL
      );
      CREATE TABLE clients (
        client_id TEXT PRIMARY KEY,
        client_kind TEXT NOT NULL,
        label TEXT,
        secret_hash TEXT,
        approved_at TEXT NOT NULL,
        approved_by_user_id TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE client_tokens (
        token_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL REFERENCES clients(client_id),
        expires_at_ms INTEGER NOT NULL
      );
      CREATE INDEX client_tokens_client ON client_tokens(client_id);
      CREATE TABLE device_flows (
        device_code_hash TEXT PRIMARY KEY,
        user_code TEXT NOT NULL UNIQUE,
        client_label TEXT,
        status TEXT NOT NULL,
        interval_s INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        last_poll_at_ms INTEGER,
        slow_downs INTEGER NOT NULL DEFAULT 0,
        client_id TEXT,
        approved_at TEXT,
        approved_by_user_id TEXT
      );
      CREATE TABLE agents (
        agent_id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        agent_name TEXT NOT NULL,
        agent_version TEXT NOT NULL,
        os_name TEXT,
        os_version TEXT,
        arch TEXT,
        capabilities TEXT NOT NULL,
        effective_capabilities TEXT NOT NULL,
        capability_warnings TEXT NOT NULL,
        max_parallel_jobs INTEGER NOT NULL,
        public_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        identity_conflict INTEGER NOT NULL DEFAULT 0,
        feature_flags_contract_version TEXT,
        last_seen_at TEXT NOT NULL,
        last_register_at TEXT NOT NULL,
        last_heartbeat_at TEXT
      );
      CREATE TABLE nonces (
        agent_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        seen_at_ms INTEGER NOT NULL,
        PRIMARY KEY (agent_id, nonce)
      ) WITHOUT ROWID;
      CREATE INDEX nonces_seen ON nonces(seen_at_ms);
      CREATE TABLE security_events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        agent_id TEXT,
        client_id TEXT,
        detail TEXT NOT NULL
      );
      CREATE TABLE assets (
        uuid TEXT PRIMARY KEY,
        media_type TEXT NOT NULL,
        state TEXT NOT NULL,
        relative_path TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        stable_scans INTEGER NOT NULL DEFAULT 0,
        profile TEXT NOT NULL,
        sidecars TEXT NOT NULL DEFAULT '[]',
        facts TEXT NOT NULL DEFAULT '{}',
        transcript TEXT,
        revision INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT
      );
      CREATE TABLE asset_transitions (
        id INTEGER PRIMARY KEY,
        asset_uuid TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        cause TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE TABLE jobs (
        job_id TEXT PRIMARY KEY,
        asset_uuid TEXT NOT NULL REFERENCES assets(uuid),
        job_type TEXT NOT NULL,
        status TEXT NOT NULL,
        required_capabilities TEXT NOT NULL,
        feature_flag TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        lock_token TEXT,
        fencing_token INTEGER NOT NULL DEFAULT 0,
        locked_until_ms INTEGER,
        claimed_at TEXT,
        completed_at TEXT,
        failed_at TEXT,
        last_error_code TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (asset_uuid, job_type)
      );
      CREATE INDEX jobs_status ON jobs(status);
      CREATE TABLE job_claims (
        job_id TEXT NOT NULL,
        fencing_token INTEGER NOT NULL,
        lock_token TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT,
        error_code TEXT,
        message TEXT,
        retryable INTEGER,
        PRIMARY KEY (job_id, fencing_token)
      );
      CREATE TABLE idempotency_keys (
        actor TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        idem_key TEXT NOT NULL,
        request_sha256 TEXT NOT NULL,
        status_code INTEGER,
        response_body TEXT,
        created_at_ms INTEGER NOT NULL,
        PRIMARY KEY (actor, endpoint, idem_key)
      );
      CREATE TABLE uploads (
        upload_id TEXT PRIMARY KEY,
        asset_uuid TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        sha256 TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL
      );
      CREATE TABLE upload_parts (
        upload_id TEXT NOT NULL,
        part_number INTEGER NOT NULL,
        size_bytes INTEGER NOT NULL,
        part_etag TEXT NOT NULL,
        PRIMARY KEY (upload_id, part_number)
      );
      CREATE TABLE derived_files (
        asset_uuid TEXT NOT NULL,
        kind TEXT NOT NULL,
        idx INTEGER NOT NULL,
        upload_id TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        relative_path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (asset_uuid, kind, idx)
      );
      CREATE VIRTUAL TABLE asset_search USING fts5(uuid UNINDEXED, name, transcript);
    `,
  },
  {
    version: 2,
    name: 'human decisions, move/purge journal and asset locks',
    sql: `
      ALTER TABLE assets ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE assets ADD COLUMN notes TEXT;
      ALTER TABLE assets ADD COLUMN review_processing_version INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE assets ADD COLUMN path_history TEXT NOT NULL DEFAULT '[]';
      CREATE TABLE asset_locks (
        asset_uuid TEXT NOT NULL,
        kind TEXT NOT NULL,
        owner TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        PRIMARY KEY (asset_uuid, kind)
      ) WITHOUT ROWID;
      CREATE TABLE move_journal (
        operation_id TEXT PRIMARY KEY,
        asset_uuid TEXT NOT NULL,
        kind TEXT NOT NULL,
        step TEXT NOT NULL,
        entry TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX move_journal_step ON move_journal(step);
      CREATE TABLE asset_audit (
        operation_id TEXT NOT NULL,
        action TEXT NOT NULL,
        asset_uuid TEXT NOT NULL,
        at TEXT NOT NULL,
        details TEXT NOT NULL,
        PRIMARY KEY (operation_id, action)
      );
      CREATE INDEX asset_audit_asset ON asset_audit(asset_uuid);
    `,
  },
  {
    version: 3,
    name: 'pending-job poll order index',
    sql: `
      CREATE INDEX jobs_status_order ON jobs(status, created_at, job_id);
    `,
  },
  {
    version: 4,
    name: 'device-flow requester address; indexes for pruning security records',
    sql: `
      ALTER TABLE device_flows ADD COLUMN requester_ip TEXT;
      CREATE INDEX device_flows_expires ON device_flows(expires_at_ms);
      CREATE INDEX security_events_at ON security_events(at);
      CREATE INDEX uploads_agent_status ON uploads(agent_id, status);
    `,
  },
  {
    version: 5,
    name: 'change log behind the in-memory claimable-jobs index (jobs/list-claimable-jobs.ts)',
    sql: `
      CREATE TABLE job_queue_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        asset_uuid TEXT NOT NULL
      );
      CREATE TRIGGER job_queue_job_inserted AFTER INSERT ON jobs
      BEGIN INSERT INTO job_queue_changes (asset_uuid) VALUES (NEW.asset_uuid); END;
      CREATE TRIGGER job_queue_job_deleted AFTER DELETE ON jobs
      BEGIN INSERT INTO job_queue_changes (asset_uuid) VALUES (OLD.asset_uuid); END;
      CREATE TRIGGER job_queue_job_updated
      AFTER UPDATE OF status, asset_uuid, job_type, required_capabilities, feature_flag, created_at ON jobs
      BEGIN
        INSERT INTO job_queue_changes (asset_uuid) VALUES (NEW.asset_uuid);
        INSERT INTO job_queue_changes (asset_uuid) SELECT OLD.asset_uuid WHERE OLD.asset_uuid IS NOT NEW.asset_uuid;
      END;
      CREATE TRIGGER job_queue_asset_updated AFTER UPDATE OF relative_path, sidecars ON assets
      BEGIN INSERT INTO job_queue_changes (asset_uuid) VALUES (NEW.uuid); END;
    `,
  },
  {
    version: 6,
    name: 'operations surface: when asset locks were taken, unmatched ingest sidecars, last scan (docs/operations.md)',
    sql: `
      ALTER TABLE asset_locks ADD COLUMN acquired_at_ms INTEGER;
      -- Set here rather than by each writer: a lock taken (or taken over by another owner) gets
      -- the time it happened; a refresh by the same owner keeps it.
      CREATE TRIGGER asset_lock_acquired AFTER INSERT ON asset_locks
      BEGIN
        UPDATE asset_locks SET acquired_at_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
        WHERE asset_uuid = NEW.asset_uuid AND kind = NEW.kind AND NEW.acquired_at_ms IS NULL;
      END;
      CREATE TRIGGER asset_lock_taken_over AFTER UPDATE OF owner ON asset_locks
      WHEN OLD.owner IS NOT NEW.owner
      BEGIN
        UPDATE asset_locks SET acquired_at_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
        WHERE asset_uuid = NEW.asset_uuid AND kind = NEW.kind;
      END;
      CREATE TABLE ingest_unmatched (
        path TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        detected_at TEXT NOT NULL
      );
      CREATE INDEX ingest_unmatched_detected ON ingest_unmatched(detected_at);
      CREATE TABLE ingest_scan_status (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        finished_at TEXT NOT NULL,
        missing INTEGER NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'asset list pages without a sort of every asset: indexes in the ORDER BY of the default sort, of -updated_at (live review pages) and of one state with the default sort (docs/core-performance.md)',
    sql: `
      CREATE INDEX assets_list_created ON assets(created_at IS NULL, created_at DESC, uuid);
      CREATE INDEX assets_list_updated ON assets(updated_at IS NULL, updated_at DESC, uuid);
      CREATE INDEX assets_list_state_created
        ON assets(state, created_at IS NULL, created_at DESC, uuid);
    `,
  },
  {
    version: 8,
    name: 'search covers notes: FTS5 table asset_notes_search kept by triggers on assets.notes (docs/postgresql.md#search)',
    sql: `
      CREATE VIRTUAL TABLE asset_notes_search USING fts5(uuid UNINDEXED, notes);
      INSERT INTO asset_notes_search (uuid, notes)
        SELECT uuid, notes FROM assets WHERE notes IS NOT NULL AND notes <> '';
      CREATE TRIGGER asset_notes_indexed AFTER UPDATE OF notes ON assets
      BEGIN
        DELETE FROM asset_notes_search WHERE uuid = OLD.uuid;
        INSERT INTO asset_notes_search (uuid, notes)
          SELECT NEW.uuid, NEW.notes WHERE NEW.notes IS NOT NULL AND NEW.notes <> '';
      END;
    `,
  },
  {
    version: 9,
    name: 'asset list orders of NOT NULL columns without a NULL test, so a page after a cursor key seeks instead of scanning (asset-sort.ts); name sorts from an index (both directions); the redundant jobs_status index dropped (jobs_status_order starts with the same column) to write fewer pages per job change (docs/core-performance.md)',
    sql: `
      DROP INDEX assets_list_created;
      CREATE INDEX assets_list_created ON assets(created_at DESC, uuid);
      DROP INDEX assets_list_state_created;
      CREATE INDEX assets_list_state_created ON assets(state, created_at DESC, uuid);
      CREATE INDEX assets_list_name ON assets(name COLLATE NOCASE, uuid);
      CREATE INDEX assets_list_name_desc ON assets(name COLLATE NOCASE DESC, uuid);
      DROP INDEX IF EXISTS jobs_status;
    `,
  },
  {
    version: 10,
    name: 'search rows keyed by their asset rowid: writes and searches by rowid instead of reading every FTS row (asset-search-rows.ts)',
    sql: `
      CREATE VIRTUAL TABLE asset_search_by_row USING fts5(uuid UNINDEXED, name, transcript);
      INSERT INTO asset_search_by_row (rowid, uuid, name, transcript)
        SELECT a.rowid, s.uuid, s.name, s.transcript FROM asset_search s JOIN assets a ON a.uuid = s.uuid;
      DROP TABLE asset_search;
      ALTER TABLE asset_search_by_row RENAME TO asset_search;
      DROP TRIGGER asset_notes_indexed;
      CREATE VIRTUAL TABLE asset_notes_by_row USING fts5(uuid UNINDEXED, notes);
      INSERT INTO asset_notes_by_row (rowid, uuid, notes)
        SELECT rowid, uuid, notes FROM assets WHERE notes IS NOT NULL AND notes <> '';
      DROP TABLE asset_notes_search;
      ALTER TABLE asset_notes_by_row RENAME TO asset_notes_search;
      CREATE TRIGGER asset_notes_indexed AFTER UPDATE OF notes ON assets
      BEGIN
        DELETE FROM asset_notes_search WHERE rowid = OLD.rowid;
        INSERT INTO asset_notes_search (rowid, uuid, notes)
          SELECT NEW.rowid, NEW.uuid, NEW.notes WHERE NEW.notes IS NOT NULL AND NEW.notes <> '';
      END;
      -- Assets are never deleted today; if one ever is, its rowid may be handed to a new asset,
      -- which must not inherit its search rows.
      CREATE TRIGGER asset_search_dropped AFTER DELETE ON assets
      BEGIN
        DELETE FROM asset_search WHERE rowid = OLD.rowid;
        DELETE FROM asset_notes_search WHERE rowid = OLD.rowid;
      END;
    `,
  },
  {
    version: 11,
    name: 'scan index version kept by triggers on assets, so the INBOX scanner reloads its in-memory index only after a change (scan-index-sql.ts, docs/core-performance.md)',
    sql: `
      CREATE TABLE scan_index_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
      );
      INSERT INTO scan_index_version (id, version) VALUES (1, 0);
      CREATE TRIGGER assets_scan_index_inserted AFTER INSERT ON assets
      BEGIN
        UPDATE scan_index_version SET version = version + 1 WHERE id = 1;
      END;
      CREATE TRIGGER assets_scan_index_deleted AFTER DELETE ON assets
      BEGIN
        UPDATE scan_index_version SET version = version + 1 WHERE id = 1;
      END;
      CREATE TRIGGER assets_scan_index_changed AFTER UPDATE ON assets
      WHEN ${SCAN_INDEX_CHANGED_SQL}
      BEGIN
        UPDATE scan_index_version SET version = version + 1 WHERE id = 1;
      END;
    `,
  },
  {
    version: 12,
    name: "agents by client, newest registration first: a poll finds its client's agent without scanning every agent row (re-enrolments add rows)",
    sql: `CREATE INDEX agents_by_client ON agents(client_id, last_register_at DESC);`,
  },
  {
    version: 13,
    name: 'auth_version, bumped by triggers on every change to clients, client tokens and agent identities, so the bearer and agent lookups of each request are answered from memory while it holds (auth-lookup-cache.ts)',
    sql: AUTH_VERSION_SQL,
  },
  {
    version: 14,
    name: 'capture time and duration sorts of the asset list from indexes, each direction; these and -updated_at keyed with a stand-in for a missing value (asset-sort.ts): at 100,000 assets each capture-time page sorted every asset (110-130 ms of CPU)',
    sql: keyedSortIndexesSql(SQLITE_SORT),
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

export function runMigrations(db: Database): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${current} is newer than this core-server (${LATEST_SCHEMA_VERSION}); upgrade core-server`,
    );
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
