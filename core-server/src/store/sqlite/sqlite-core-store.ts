// Embedded SQLite implementation of CoreStore (better-sqlite3, WAL, one file in the data dir).
// Queue transitions live in ./jobs/ (one file each); this class wires them and holds the small
// CRUD of the other tables.
import { orderByFor } from '../../domain/asset-sort.js';
import { queryWords } from '../search-words.js';
import { randomUUID } from 'node:crypto';
import type { FeatureFlags, MediaType } from '@retaia/protocol';
import type { Database } from 'better-sqlite3';
import { CoreError, notFound } from '../../errors/core-error.js';
import type {
  AgentJobDigest,
  AssetListFilter,
  CoreStore,
  IdempotencyBegin,
  IdempotencyScope,
  MovedAssetOrigin,
  DeviceFlowWithRequester,
  ScanChanges,
  ScanIndexEntry,
} from '../core-store.js';
import type {
  AgentRecord,
  ClientRecord,
  DerivedFileRecord,
  DeviceFlowRecord,
  JobClaimRecord,
  JobRecord,
  UploadPartRecord,
  UploadRecord,
  UserRecord,
} from '../records.js';
import { ensurePlannedJobs, loadAsset, loadAssetJobs, setAssetState } from './asset-lifecycle.js';
import { claimJob } from './jobs/claim-job.js';
import { completeJob } from './jobs/complete-job.js';
import { expireLeases } from './jobs/expire-leases.js';
import { extendLease } from './jobs/extend-lease.js';
import { failJob } from './jobs/fail-job.js';
import {
  acceptNonce,
  claimJobOnce,
  completeJobOnce,
  lookupIdempotent,
} from './jobs/signed-once.js';
import { listClaimableJobs } from './jobs/list-claimable-jobs.js';
import { openDatabase } from './open-database.js';
import { patchAsset, reopenAsset, reprocessAsset } from './human-mutations.js';
import { listDecisionHistory } from './decision-history.js';
import { lockedAssetUuids, SqliteAssetRecords, SqliteMoveJournal } from './sqlite-move-journal.js';
import { SqliteOpsStore } from './ops-store.js';
import { mapAgent, mapAsset, mapClaim, mapJob, mapUpload } from './row-mappers.js';
import { agentUploadUsage, countSecurityRows, pruneSecurityRows } from './security-records.js';
import type {
  ClaimJobInput,
  CompleteJobInput,
  CompleteJobResult,
  FailJobInput,
  IdempotentWrite,
  NonceUse,
  HumanMutationInput,
  HumanPatch,
  LeaseProof,
  ListClaimableJobsInput,
  SecurityPruneInput,
} from '../store-types.js';

type Row = Record<string, unknown>;
const iso = (ms: number) => new Date(ms).toISOString();

export class SqliteCoreStore implements CoreStore {
  readonly db: Database;
  readonly moveJournal: SqliteMoveJournal;
  readonly ops: SqliteOpsStore;

  constructor(dataDir: string) {
    this.db = openDatabase(dataDir);
    this.moveJournal = new SqliteMoveJournal(this.db);
    this.ops = new SqliteOpsStore(this.db);
  }

  // ---- human mutations and the moves domain's ports ----------------------------------------
  assetRecords(storageId: string) {
    return new SqliteAssetRecords(this.db, storageId);
  }
  async lockedAssetUuids(nowMs: number) {
    return lockedAssetUuids(this.db, nowMs);
  }
  async patchAsset(input: HumanMutationInput & { patch: HumanPatch; flags: FeatureFlags }) {
    return patchAsset(this.db, input);
  }
  async reopenAsset(input: HumanMutationInput) {
    return reopenAsset(this.db, input);
  }
  async listDecisionHistory(uuid: string) {
    return listDecisionHistory(this.db, uuid);
  }
  async reprocessAsset(input: HumanMutationInput & { flags: FeatureFlags }) {
    return reprocessAsset(this.db, input);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---- users -------------------------------------------------------------------------------
  async addUser(email: string, passwordHash: string): Promise<UserRecord> {
    const user: UserRecord = {
      user_id: randomUUID(),
      email,
      password_hash: passwordHash,
      created_at: new Date().toISOString(),
    };
    try {
      this.db
        .prepare(
          'INSERT INTO users (user_id, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
        )
        .run(user.user_id, user.email, user.password_hash, user.created_at);
    } catch (err) {
      if (String(err).includes('UNIQUE')) {
        throw new CoreError('VALIDATION_FAILED', 422, `a user with email ${email} already exists`);
      }
      throw err;
    }
    return user;
  }
  async findUserByEmail(email: string) {
    return this.db.prepare('SELECT * FROM users WHERE email = ?').get(email) as
      UserRecord | undefined;
  }
  async saveUserToken(tokenHash: string, userId: string, expiresAtMs: number) {
    this.db
      .prepare('INSERT INTO user_tokens (token_hash, user_id, expires_at_ms) VALUES (?, ?, ?)')
      .run(tokenHash, userId, expiresAtMs);
  }
  async findUserByToken(tokenHash: string, nowMs: number) {
    return this.db
      .prepare(
        `SELECT u.* FROM user_tokens t JOIN users u ON u.user_id = t.user_id
         WHERE t.token_hash = ? AND t.expires_at_ms > ?`,
      )
      .get(tokenHash, nowMs) as UserRecord | undefined;
  }
  async revokeUserToken(tokenHash: string) {
    return (
      this.db.prepare('DELETE FROM user_tokens WHERE token_hash = ?').run(tokenHash).changes > 0
    );
  }

  // ---- device flows and clients ------------------------------------------------------------
  async createDeviceFlow(f: DeviceFlowWithRequester) {
    this.db
      .prepare(
        `INSERT INTO device_flows (device_code_hash, user_code, client_label, status, interval_s,
           created_at_ms, expires_at_ms, last_poll_at_ms, slow_downs, requester_ip)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0, ?)`,
      )
      .run(
        f.device_code_hash,
        f.user_code,
        f.client_label,
        f.status,
        f.interval_s,
        f.created_at_ms,
        f.expires_at_ms,
        f.requester_ip ?? null,
      );
  }
  async findDeviceFlow(hash: string) {
    return this.db.prepare('SELECT * FROM device_flows WHERE device_code_hash = ?').get(hash) as
      DeviceFlowRecord | undefined;
  }
  async findDeviceFlowByUserCode(userCode: string) {
    return this.db.prepare('SELECT * FROM device_flows WHERE user_code = ?').get(userCode) as
      DeviceFlowWithRequester | undefined;
  }
  async recordDevicePoll(hash: string, nowMs: number, slowDown: boolean) {
    this.db
      .prepare(
        'UPDATE device_flows SET last_poll_at_ms = ?, slow_downs = slow_downs + ? WHERE device_code_hash = ?',
      )
      .run(nowMs, slowDown ? 1 : 0, hash);
  }
  async approveDeviceFlow(userCode: string, userId: string, nowMs: number) {
    return this.db
      .transaction(() => {
        const flow = this.pendingFlowByUserCode(userCode, nowMs);
        const clientId = randomUUID();
        const now = iso(nowMs);
        this.db
          .prepare(
            `INSERT INTO clients (client_id, client_kind, label, secret_hash, approved_at, approved_by_user_id, created_at)
             VALUES (?, 'AGENT', ?, NULL, ?, ?, ?)`,
          )
          .run(clientId, flow.client_label, now, userId, now);
        this.db
          .prepare(
            `UPDATE device_flows SET status = 'APPROVED', client_id = ?, approved_at = ?, approved_by_user_id = ?
             WHERE device_code_hash = ?`,
          )
          .run(clientId, now, userId, flow.device_code_hash);
        return { ...flow, status: 'APPROVED' as const, client_id: clientId, approved_at: now };
      })
      .immediate();
  }
  async denyDeviceFlow(userCode: string) {
    return this.db
      .transaction(() => {
        const flow = this.pendingFlowByUserCode(userCode, Date.now());
        this.db
          .prepare(`UPDATE device_flows SET status = 'DENIED' WHERE device_code_hash = ?`)
          .run(flow.device_code_hash);
        return { ...flow, status: 'DENIED' as const };
      })
      .immediate();
  }
  private pendingFlowByUserCode(userCode: string, nowMs: number): DeviceFlowRecord {
    const flow = this.db
      .prepare('SELECT * FROM device_flows WHERE user_code = ?')
      .get(userCode.toUpperCase()) as DeviceFlowRecord | undefined;
    if (!flow) throw notFound('device flow with user code', userCode);
    if (flow.status !== 'PENDING' || flow.expires_at_ms <= nowMs) {
      throw new CoreError(
        'STATE_CONFLICT',
        409,
        `device flow ${userCode} is ${flow.expires_at_ms <= nowMs ? 'expired' : flow.status.toLowerCase()}, not pending`,
      );
    }
    return flow;
  }
  async cancelDeviceFlow(hash: string) {
    this.db
      .prepare(`UPDATE device_flows SET status = 'CANCELED' WHERE device_code_hash = ?`)
      .run(hash);
  }
  async consumeDeviceFlow(hash: string, secretHash: string) {
    return this.db
      .transaction(() => {
        const flow = this.db
          .prepare(
            `UPDATE device_flows SET status = 'CONSUMED' WHERE device_code_hash = ? AND status = 'APPROVED' RETURNING client_id`,
          )
          .get(hash) as { client_id: string } | undefined;
        if (!flow) throw new CoreError('INVALID_DEVICE_CODE', 400, 'device code already used');
        this.db
          .prepare('UPDATE clients SET secret_hash = ? WHERE client_id = ?')
          .run(secretHash, flow.client_id);
        return this.db
          .prepare('SELECT * FROM clients WHERE client_id = ?')
          .get(flow.client_id) as ClientRecord;
      })
      .immediate();
  }
  async getClient(clientId: string) {
    return this.db.prepare('SELECT * FROM clients WHERE client_id = ?').get(clientId) as
      ClientRecord | undefined;
  }
  async listClients() {
    return this.db.prepare('SELECT * FROM clients ORDER BY created_at').all() as ClientRecord[];
  }
  async setClientSecret(clientId: string, secretHash: string) {
    this.db
      .transaction(() => {
        const r = this.db
          .prepare('UPDATE clients SET secret_hash = ? WHERE client_id = ?')
          .run(secretHash, clientId);
        if (r.changes === 0) throw notFound('client', clientId);
        this.db.prepare('DELETE FROM client_tokens WHERE client_id = ?').run(clientId);
      })
      .immediate();
  }
  async replaceClientToken(clientId: string, tokenHash: string, expiresAtMs: number) {
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM client_tokens WHERE client_id = ?').run(clientId);
        this.db
          .prepare(
            'INSERT INTO client_tokens (token_hash, client_id, expires_at_ms) VALUES (?, ?, ?)',
          )
          .run(tokenHash, clientId, expiresAtMs);
      })
      .immediate();
  }
  async revokeClientTokens(clientId: string) {
    if (!(await this.getClient(clientId))) throw notFound('client', clientId);
    return this.db.prepare('DELETE FROM client_tokens WHERE client_id = ?').run(clientId).changes;
  }
  async findClientByToken(tokenHash: string, nowMs: number) {
    return this.db
      .prepare(
        `SELECT c.* FROM client_tokens t JOIN clients c ON c.client_id = t.client_id
         WHERE t.token_hash = ? AND t.expires_at_ms > ?`,
      )
      .get(tokenHash, nowMs) as ClientRecord | undefined;
  }

  // ---- agents and request-signing state ----------------------------------------------------
  async getAgent(agentId: string) {
    const row = this.db.prepare('SELECT * FROM agents WHERE agent_id = ?').get(agentId) as
      Row | undefined;
    return row ? mapAgent(row) : undefined;
  }
  async saveAgent(a: AgentRecord) {
    this.db
      .prepare(
        `INSERT INTO agents (agent_id, client_id, agent_name, agent_version, os_name, os_version, arch,
           capabilities, effective_capabilities, capability_warnings, max_parallel_jobs, public_key,
           fingerprint, identity_conflict, feature_flags_contract_version, last_seen_at, last_register_at,
           last_heartbeat_at)
         VALUES (@agent_id, @client_id, @agent_name, @agent_version, @os_name, @os_version, @arch,
           @capabilities, @effective_capabilities, @capability_warnings, @max_parallel_jobs, @public_key,
           @fingerprint, @identity_conflict, @feature_flags_contract_version, @last_seen_at,
           @last_register_at, @last_heartbeat_at)
         ON CONFLICT(agent_id) DO UPDATE SET client_id = excluded.client_id,
           agent_name = excluded.agent_name, agent_version = excluded.agent_version,
           os_name = excluded.os_name, os_version = excluded.os_version, arch = excluded.arch,
           capabilities = excluded.capabilities, effective_capabilities = excluded.effective_capabilities,
           capability_warnings = excluded.capability_warnings, max_parallel_jobs = excluded.max_parallel_jobs,
           public_key = excluded.public_key, fingerprint = excluded.fingerprint,
           identity_conflict = excluded.identity_conflict,
           feature_flags_contract_version = excluded.feature_flags_contract_version,
           last_seen_at = excluded.last_seen_at, last_register_at = excluded.last_register_at`,
      )
      .run({
        ...a,
        capabilities: JSON.stringify(a.capabilities),
        effective_capabilities: JSON.stringify(a.effective_capabilities),
        capability_warnings: JSON.stringify(a.capability_warnings),
        identity_conflict: a.identity_conflict ? 1 : 0,
      });
  }
  async touchAgent(agentId: string, nowMs: number) {
    this.db
      .prepare('UPDATE agents SET last_seen_at = ? WHERE agent_id = ?')
      .run(iso(nowMs), agentId);
  }
  async listAgents() {
    return (this.db.prepare('SELECT * FROM agents ORDER BY last_seen_at DESC').all() as Row[]).map(
      mapAgent,
    );
  }
  async latestAgentOfClient(clientId: string) {
    const row = this.db
      .prepare('SELECT * FROM agents WHERE client_id = ? ORDER BY last_register_at DESC LIMIT 1')
      .get(clientId) as Row | undefined;
    return row ? mapAgent(row) : undefined;
  }
  async agentJobDigest(agentId: string): Promise<AgentJobDigest> {
    const one = (sql: string) => {
      const row = this.db.prepare(sql).get(agentId) as Row | undefined;
      return row ? mapJob(row) : undefined;
    };
    return {
      current: one(
        `SELECT * FROM jobs WHERE claimed_by = ? AND status = 'claimed' ORDER BY claimed_at DESC LIMIT 1`,
      ) as AgentJobDigest['current'],
      lastCompleted: one(
        `SELECT j.* FROM jobs j JOIN job_claims c ON c.job_id = j.job_id AND c.outcome = 'completed'
         WHERE c.agent_id = ? ORDER BY c.ended_at DESC LIMIT 1`,
      ),
      lastFailed: one(
        `SELECT j.* FROM jobs j JOIN job_claims c ON c.job_id = j.job_id AND c.outcome IN ('failed', 'retry')
         WHERE c.agent_id = ? ORDER BY c.ended_at DESC LIMIT 1`,
      ),
    };
  }
  /** One atomic statement per signed request: new, or last seen before the window → accepted. */
  async rememberNonce(agentId: string, nonce: string, nowMs: number, windowMs: number) {
    return acceptNonce(this.db, { agentId, nonce, nowMs, windowMs });
  }
  async logSecurityEvent(kind: string, detail: Record<string, unknown>) {
    this.db
      .prepare(
        'INSERT INTO security_events (at, kind, agent_id, client_id, detail) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        new Date().toISOString(),
        kind,
        (detail.agent_id as string | undefined) ?? null,
        (detail.client_id as string | undefined) ?? null,
        JSON.stringify(detail),
      );
  }
  async listSecurityEvents() {
    return (
      this.db.prepare('SELECT kind, detail FROM security_events ORDER BY id').all() as {
        kind: string;
        detail: string;
      }[]
    ).map((r) => ({ kind: r.kind, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  // ---- assets ------------------------------------------------------------------------------
  async listMovedAssetsDiscoveredAs(prefixes: string[]): Promise<MovedAssetOrigin[]> {
    if (prefixes.length === 0) return [];
    // rtrim(x, x-without-dots) keeps x up to its last '.', i.e. "INBOX/dir/stem.".
    const rows = this.db
      .prepare(
        `SELECT discovered, relative_path, media_type, sidecars FROM (
           SELECT json_extract(path_history, '$[0]') AS discovered, relative_path, media_type, sidecars
           FROM assets WHERE path_history <> '[]')
         WHERE lower(rtrim(discovered, replace(discovered, '.', '')))
           IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(prefixes)) as Row[];
    return rows.map((r) => ({
      discovered: String(r.discovered),
      relative_path: String(r.relative_path),
      media_type: r.media_type as MediaType,
      sidecars: JSON.parse(String(r.sidecars)) as string[],
    }));
  }
  async loadScanIndex() {
    return this.db
      .prepare(
        'SELECT uuid, relative_path, size_bytes, mtime_ms, stable_scans, state, sidecars FROM assets',
      )
      .all() as ScanIndexEntry[];
  }
  async applyScan(changes: ScanChanges, flags: FeatureFlags, nowMs: number) {
    if (!changes.inserts.length && !changes.updates.length && !changes.ready.length) return;
    const now = iso(nowMs);
    this.db
      .transaction(() => {
        const insert = this.db.prepare(
          `INSERT INTO assets (uuid, media_type, state, relative_path, name, size_bytes, mtime_ms,
             stable_scans, profile, sidecars, created_at, updated_at)
           VALUES (?, ?, 'DISCOVERED', ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
        );
        const search = this.db.prepare(
          `INSERT INTO asset_search (uuid, name, transcript) VALUES (?, ?, '')`,
        );
        for (const a of changes.inserts) {
          insert.run(
            a.uuid,
            a.media_type,
            a.relative_path,
            a.name,
            a.size_bytes,
            a.mtime_ms,
            a.profile,
            JSON.stringify(a.sidecars),
            now,
            now,
          );
          search.run(a.uuid, a.name);
        }
        const update = this.db.prepare(
          `UPDATE assets SET size_bytes = ?, mtime_ms = ?, stable_scans = ?, sidecars = ? WHERE uuid = ?`,
        );
        for (const u of changes.updates) {
          update.run(u.size_bytes, u.mtime_ms, u.stable_scans, JSON.stringify(u.sidecars), u.uuid);
        }
        for (const uuid of changes.ready) {
          const asset = loadAsset(this.db, uuid);
          if (!asset || asset.state !== 'DISCOVERED') continue;
          setAssetState(this.db, asset, 'READY', 'discovery_stable', now);
          ensurePlannedJobs(this.db, asset, flags, now);
        }
      })
      .immediate();
  }
  async getAsset(uuid: string) {
    return loadAsset(this.db, uuid);
  }
  async listAssets(f: AssetListFilter) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.q?.trim()) {
      // Every word must match in the name, transcript or notes: one quoted FTS5 prefix phrase of
      // its tokens per word (../search-words.ts), so user input never reaches FTS syntax.
      const words = queryWords(f.q);
      if (words.length === 0) where.push('0');
      for (const tokens of words) {
        where.push(
          `(uuid IN (SELECT uuid FROM asset_search WHERE asset_search MATCH ?)
            OR uuid IN (SELECT uuid FROM asset_notes_search WHERE asset_notes_search MATCH ?))`,
        );
        const phrase = `"${tokens.join(' ')}"*`;
        params.push(phrase, phrase);
      }
    }
    if (f.states?.length) {
      where.push(`state IN (${f.states.map(() => '?').join(', ')})`);
      params.push(...f.states);
    }
    if (f.mediaType) {
      where.push('media_type = ?');
      params.push(f.mediaType);
    }
    const sql = `SELECT * FROM assets ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${orderByFor(f.sort)} LIMIT ? OFFSET ?`;
    return (this.db.prepare(sql).all(...params, f.limit, f.offset) as Row[]).map(mapAsset);
  }
  async listDerived(uuid: string) {
    return this.db
      .prepare('SELECT * FROM derived_files WHERE asset_uuid = ? ORDER BY kind, idx')
      .all(uuid) as DerivedFileRecord[];
  }

  async findDerivedByUpload(uploadId: string) {
    return this.db.prepare('SELECT * FROM derived_files WHERE upload_id = ?').get(uploadId) as
      DerivedFileRecord | undefined;
  }

  // ---- jobs --------------------------------------------------------------------------------
  async getJob(jobId: string) {
    const row = this.db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as
      Row | undefined;
    return row ? mapJob(row) : undefined;
  }
  async listPendingJobs() {
    return (
      this.db
        .prepare(`SELECT * FROM jobs WHERE status = 'pending' ORDER BY created_at, job_id`)
        .all() as Row[]
    ).map(mapJob);
  }
  async listClaimableJobs(input: ListClaimableJobsInput) {
    return listClaimableJobs(this.db, input);
  }
  async listAssetJobs(uuid: string): Promise<JobRecord[]> {
    return loadAssetJobs(this.db, uuid);
  }
  async listJobClaims(jobId: string): Promise<JobClaimRecord[]> {
    return (
      this.db
        .prepare('SELECT * FROM job_claims WHERE job_id = ? ORDER BY fencing_token')
        .all(jobId) as Row[]
    ).map(mapClaim);
  }
  async claimJob(input: ClaimJobInput) {
    return claimJob(this.db, input);
  }
  async extendLease(proof: LeaseProof, leaseTtlMs: number) {
    return extendLease(this.db, proof, leaseTtlMs);
  }
  async completeJob(input: CompleteJobInput) {
    return completeJob(this.db, input);
  }
  async claimJobOnce(input: ClaimJobInput, nonce: NonceUse) {
    return claimJobOnce(this.db, input, nonce);
  }
  async completeJobOnce(
    input: CompleteJobInput,
    nonce: NonceUse,
    idem: IdempotentWrite,
    respond: (result: CompleteJobResult) => unknown,
  ) {
    return completeJobOnce(this.db, input, nonce, idem, respond);
  }
  async failJob(input: FailJobInput) {
    return failJob(this.db, input);
  }
  async expireLeases(nowMs: number) {
    return expireLeases(this.db, nowMs);
  }

  // ---- idempotency -------------------------------------------------------------------------
  async beginIdempotent(s: IdempotencyScope, requestSha256: string, nowMs: number) {
    return this.db
      .transaction((): IdempotencyBegin => {
        const used = lookupIdempotent(this.db, s, requestSha256);
        if (used) return used;
        this.db
          .prepare(
            'INSERT INTO idempotency_keys (actor, endpoint, idem_key, request_sha256, created_at_ms) VALUES (?, ?, ?, ?, ?)',
          )
          .run(s.actor, s.endpoint, s.key, requestSha256, nowMs);
        return { kind: 'new' };
      })
      .immediate();
  }
  async finishIdempotent(s: IdempotencyScope, statusCode: number, body: unknown) {
    this.db
      .prepare(
        'UPDATE idempotency_keys SET status_code = ?, response_body = ? WHERE actor = ? AND endpoint = ? AND idem_key = ?',
      )
      .run(statusCode, JSON.stringify(body ?? null), s.actor, s.endpoint, s.key);
  }
  async abandonIdempotent(s: IdempotencyScope) {
    this.db
      .prepare('DELETE FROM idempotency_keys WHERE actor = ? AND endpoint = ? AND idem_key = ?')
      .run(s.actor, s.endpoint, s.key);
  }

  // ---- uploads -----------------------------------------------------------------------------
  async createUpload(u: UploadRecord) {
    this.db
      .prepare(
        `INSERT INTO uploads (upload_id, asset_uuid, agent_id, kind, content_type, size_bytes, sha256, status, created_at, expires_at_ms)
         VALUES (@upload_id, @asset_uuid, @agent_id, @kind, @content_type, @size_bytes, @sha256, @status, @created_at, @expires_at_ms)`,
      )
      .run(u);
  }
  async getUpload(uploadId: string) {
    const row = this.db.prepare('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as
      Row | undefined;
    return row ? mapUpload(row) : undefined;
  }
  async saveUploadPart(p: UploadPartRecord) {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO upload_parts (upload_id, part_number, size_bytes, part_etag) VALUES (?, ?, ?, ?)`,
      )
      .run(p.upload_id, p.part_number, p.size_bytes, p.part_etag);
  }
  async listUploadParts(uploadId: string) {
    return this.db
      .prepare('SELECT * FROM upload_parts WHERE upload_id = ? ORDER BY part_number')
      .all(uploadId) as UploadPartRecord[];
  }
  async markUploadCompleted(uploadId: string, sha256: string, expiresAtMs: number) {
    this.db
      .prepare(
        `UPDATE uploads SET status = 'COMPLETED', sha256 = ?, expires_at_ms = ? WHERE upload_id = ? AND status = 'OPEN'`,
      )
      .run(sha256, expiresAtMs, uploadId);
  }
  async listExpiredUploads(nowMs: number) {
    return (
      this.db
        .prepare(
          `SELECT * FROM uploads WHERE status IN ('OPEN', 'COMPLETED') AND expires_at_ms < ?`,
        )
        .all(nowMs) as Row[]
    ).map(mapUpload);
  }
  async markUploadExpired(uploadId: string) {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE uploads SET status = 'EXPIRED' WHERE upload_id = ?`).run(uploadId);
      this.db.prepare('DELETE FROM upload_parts WHERE upload_id = ?').run(uploadId);
    })();
  }

  async pruneExpired(nowMs: number, nonceWindowMs: number, idempotencyWindowMs: number) {
    this.db.prepare('DELETE FROM nonces WHERE seen_at_ms < ?').run(nowMs - nonceWindowMs);
    this.db
      .prepare('DELETE FROM idempotency_keys WHERE created_at_ms < ?')
      .run(nowMs - idempotencyWindowMs);
    this.db.prepare('DELETE FROM client_tokens WHERE expires_at_ms < ?').run(nowMs);
    this.db.prepare('DELETE FROM user_tokens WHERE expires_at_ms < ?').run(nowMs);
  }
  async pruneSecurityRecords(input: SecurityPruneInput) {
    return pruneSecurityRows(this.db, input);
  }
  async countSecurityRecords() {
    return countSecurityRows(this.db);
  }
  async agentUploadUsage(agentId: string, nowMs: number) {
    return agentUploadUsage(this.db, agentId, nowMs);
  }
}
