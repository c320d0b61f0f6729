// PostgreSQL implementation of CoreStore, for several Core replicas on one database (see
// docs/postgresql.md). Same behaviour as the SQLite store, proven by the conformance tests in
// core-server/test/store-conformance/. Job queue transitions live in pg-jobs.ts, human
// mutations in pg-human-mutations.ts, the moves ports in pg-move-journal.ts, search in
// pg-search.ts; this class wires them and holds the small CRUD of the other tables (it is long
// because it is one method per verb of the interface, each a statement or two).
//
// Nothing is kept in process memory: nonces, idempotency keys, leases and locks are rows, so
// every replica sees what the others wrote the moment it commits.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { FeatureFlags, MediaType } from '@retaia/protocol';
import { CoreError, notFound } from '../../errors/core-error.js';
import type {
  AgentJobDigest,
  AssetListFilter,
  CoreStore,
  DeviceFlowWithRequester,
  IdempotencyScope,
  MovedAssetOrigin,
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
import { mapAgent, mapAsset, mapClaim, mapJob, mapUpload } from '../sqlite/row-mappers.js';
import type {
  AgentUploadUsage,
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
  SecurityRowCounts,
} from '../store-types.js';
import {
  ensurePlannedJobs,
  loadAsset,
  loadAssetJobs,
  setAssetState,
} from './pg-asset-lifecycle.js';
import { pgAfterKeyCondition, pgOrderByFor } from './pg-asset-sort.js';
import { all, createPool, inTransaction, one, run } from './pg-db.js';
import {
  listDecisionHistory,
  patchAsset,
  reopenAsset,
  reprocessAsset,
} from './pg-human-mutations.js';
import { completeJob } from './pg-complete-job.js';
import { claimJob, expireLeases, extendLease, failJob, listClaimableJobs } from './pg-jobs.js';
import { runPgMigrations } from './pg-migrations.js';
import { SCAN_PHASE_SQL } from '../scan-index-sql.js';
import { PgOpsStore } from './pg-ops-store.js';
import {
  acceptNonce,
  claimIdempotencyKey,
  claimJobOnce,
  completeJobOnce,
} from './pg-signed-once.js';
import { lockedAssetUuids, PgAssetRecords, PgMoveJournal } from './pg-move-journal.js';
import { indexAssetName, searchCondition } from './pg-search.js';
import { groupDerived } from '../records.js';
import { PgAttemptBudgets } from './pg-attempt-budgets.js';
import { PgAuthLookupCache } from './pg-auth-lookup-cache.js';
import { unexpiredClient, type DeferredAuthChecks } from '../auth-lookup-entries.js';

/** A scan that adds or readies this many assets refreshes the planner's statistics. */
const ANALYZE_AFTER_ROWS = 500;
const iso = (ms: number) => new Date(ms).toISOString();
const UNIQUE_VIOLATION = '23505';
/** Read on every unnamed poll: served by the agents_by_client index (schema v6). */
export const PG_LATEST_AGENT_OF_CLIENT_SQL =
  'SELECT * FROM agents WHERE client_id = $1 ORDER BY last_register_at DESC LIMIT 1';

export class PostgresCoreStore implements CoreStore {
  readonly moveJournal: PgMoveJournal;
  readonly ops: PgOpsStore;
  private readonly authLookups: PgAuthLookupCache;
  /** The job routes' deferred auth checks: the lookup cache itself. */
  get authChecks(): DeferredAuthChecks {
    return this.authLookups;
  }

  private constructor(readonly pool: pg.Pool) {
    this.moveJournal = new PgMoveJournal(pool);
    this.ops = new PgOpsStore(pool);
    this.authLookups = new PgAuthLookupCache(pool);
  }

  /** Connects and brings the schema up to date (once, whichever replica comes first). */
  static async open(url: string, opts: { poolSize?: number } = {}): Promise<PostgresCoreStore> {
    const pool = createPool(url, opts.poolSize);
    try {
      await runPgMigrations(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresCoreStore(pool);
  }

  private closed = false;
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** Rate-limit budgets in the database, shared by every replica (pg-attempt-budgets.ts). */
  attemptBudgets(clock: () => number) {
    return new PgAttemptBudgets(this.pool, clock);
  }

  // ---- human mutations and the moves domain's ports ----------------------------------------
  assetRecords(storageId: string) {
    return new PgAssetRecords(this.pool, storageId);
  }
  lockedAssetUuids(nowMs: number) {
    return lockedAssetUuids(this.pool, nowMs);
  }
  patchAsset(input: HumanMutationInput & { patch: HumanPatch; flags: FeatureFlags }) {
    return patchAsset(this.pool, input);
  }
  reopenAsset(input: HumanMutationInput) {
    return reopenAsset(this.pool, input);
  }
  listDecisionHistory(uuid: string) {
    return listDecisionHistory(this.pool, uuid);
  }
  reprocessAsset(input: HumanMutationInput & { flags: FeatureFlags }) {
    return reprocessAsset(this.pool, input);
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
      await run(
        this.pool,
        'INSERT INTO users (user_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)',
        [user.user_id, user.email, user.password_hash, user.created_at],
      );
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new CoreError('VALIDATION_FAILED', 422, `a user with email ${email} already exists`);
      }
      throw err;
    }
    return user;
  }
  findUserByEmail(email: string) {
    return one<UserRecord>(this.pool, 'SELECT * FROM users WHERE lower(email) = lower($1)', [
      email,
    ]);
  }
  async saveUserToken(tokenHash: string, userId: string, expiresAtMs: number) {
    await run(
      this.pool,
      'INSERT INTO user_tokens (token_hash, user_id, expires_at_ms) VALUES ($1, $2, $3)',
      [tokenHash, userId, expiresAtMs],
    );
  }
  findUserByToken(tokenHash: string, nowMs: number) {
    return one<UserRecord>(
      this.pool,
      `SELECT u.* FROM user_tokens t JOIN users u ON u.user_id = t.user_id
       WHERE t.token_hash = $1 AND t.expires_at_ms > $2`,
      [tokenHash, nowMs],
    );
  }
  async revokeUserToken(tokenHash: string) {
    return (await run(this.pool, 'DELETE FROM user_tokens WHERE token_hash = $1', [tokenHash])) > 0;
  }

  // ---- device flows and clients ------------------------------------------------------------
  async createDeviceFlow(f: DeviceFlowWithRequester) {
    await run(
      this.pool,
      `INSERT INTO device_flows (device_code_hash, user_code, client_label, status, interval_s,
         created_at_ms, expires_at_ms, last_poll_at_ms, slow_downs, requester_ip)
       VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 0, $8)`,
      [
        f.device_code_hash,
        f.user_code,
        f.client_label,
        f.status,
        f.interval_s,
        f.created_at_ms,
        f.expires_at_ms,
        f.requester_ip ?? null,
      ],
    );
  }
  findDeviceFlow(hash: string) {
    return one<DeviceFlowRecord>(
      this.pool,
      'SELECT * FROM device_flows WHERE device_code_hash = $1',
      [hash],
    );
  }
  findDeviceFlowByUserCode(userCode: string) {
    return one<DeviceFlowWithRequester>(
      this.pool,
      'SELECT * FROM device_flows WHERE user_code = $1',
      [userCode],
    );
  }
  async recordDevicePoll(hash: string, nowMs: number, slowDown: boolean) {
    await run(
      this.pool,
      'UPDATE device_flows SET last_poll_at_ms = $1, slow_downs = slow_downs + $2 WHERE device_code_hash = $3',
      [nowMs, slowDown ? 1 : 0, hash],
    );
  }
  approveDeviceFlow(userCode: string, userId: string, nowMs: number) {
    return inTransaction(this.pool, async (c) => {
      const flow = await this.pendingFlowByUserCode(c, userCode, nowMs);
      const clientId = randomUUID();
      const now = iso(nowMs);
      await run(
        c,
        `INSERT INTO clients (client_id, client_kind, label, secret_hash, approved_at, approved_by_user_id, created_at)
         VALUES ($1, 'AGENT', $2, NULL, $3, $4, $5)`,
        [clientId, flow.client_label, now, userId, now],
      );
      await run(
        c,
        `UPDATE device_flows SET status = 'APPROVED', client_id = $1, approved_at = $2, approved_by_user_id = $3
         WHERE device_code_hash = $4`,
        [clientId, now, userId, flow.device_code_hash],
      );
      return { ...flow, status: 'APPROVED' as const, client_id: clientId, approved_at: now };
    });
  }
  denyDeviceFlow(userCode: string) {
    return inTransaction(this.pool, async (c) => {
      const flow = await this.pendingFlowByUserCode(c, userCode, Date.now());
      await run(c, `UPDATE device_flows SET status = 'DENIED' WHERE device_code_hash = $1`, [
        flow.device_code_hash,
      ]);
      return { ...flow, status: 'DENIED' as const };
    });
  }
  private async pendingFlowByUserCode(c: pg.PoolClient, userCode: string, nowMs: number) {
    const flow = await one<DeviceFlowRecord>(
      c,
      'SELECT * FROM device_flows WHERE user_code = $1 FOR UPDATE',
      [userCode.toUpperCase()],
    );
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
    await run(
      this.pool,
      `UPDATE device_flows SET status = 'CANCELED' WHERE device_code_hash = $1`,
      [hash],
    );
  }
  consumeDeviceFlow(hash: string, secretHash: string) {
    return inTransaction(this.pool, async (c) => {
      const flow = await one<{ client_id: string }>(
        c,
        `UPDATE device_flows SET status = 'CONSUMED' WHERE device_code_hash = $1 AND status = 'APPROVED' RETURNING client_id`,
        [hash],
      );
      if (!flow) throw new CoreError('INVALID_DEVICE_CODE', 400, 'device code already used');
      return (await one<ClientRecord>(
        c,
        'UPDATE clients SET secret_hash = $1 WHERE client_id = $2 RETURNING *',
        [secretHash, flow.client_id],
      ))!;
    });
  }
  getClient(clientId: string) {
    return one<ClientRecord>(this.pool, 'SELECT * FROM clients WHERE client_id = $1', [clientId]);
  }
  listClients() {
    return all<ClientRecord>(this.pool, 'SELECT * FROM clients ORDER BY created_at');
  }
  async setClientSecret(clientId: string, secretHash: string) {
    await inTransaction(this.pool, async (c) => {
      const changed = await run(c, 'UPDATE clients SET secret_hash = $1 WHERE client_id = $2', [
        secretHash,
        clientId,
      ]);
      if (changed === 0) throw notFound('client', clientId);
      await run(c, 'DELETE FROM client_tokens WHERE client_id = $1', [clientId]);
    });
  }
  async replaceClientToken(clientId: string, tokenHash: string, expiresAtMs: number) {
    await inTransaction(this.pool, async (c) => {
      await run(c, 'DELETE FROM client_tokens WHERE client_id = $1', [clientId]);
      await run(
        c,
        'INSERT INTO client_tokens (token_hash, client_id, expires_at_ms) VALUES ($1, $2, $3)',
        [tokenHash, clientId, expiresAtMs],
      );
    });
  }
  async revokeClientTokens(clientId: string) {
    if (!(await this.getClient(clientId))) throw notFound('client', clientId);
    return run(this.pool, 'DELETE FROM client_tokens WHERE client_id = $1', [clientId]);
  }
  async findClientByToken(tokenHash: string, nowMs: number, request?: object) {
    const found = await this.authLookups.lookup('clientByToken', tokenHash, request, async () => {
      const row = await one<ClientRecord & { token_expires_at_ms: string }>(
        this.pool,
        `SELECT c.*, t.expires_at_ms AS token_expires_at_ms
           FROM client_tokens t JOIN clients c ON c.client_id = t.client_id
          WHERE t.token_hash = $1`,
        [tokenHash],
      );
      if (!row) return undefined;
      const { token_expires_at_ms: expiresAtMs, ...client } = row;
      return { client, expiresAtMs: Number(expiresAtMs) };
    });
    return unexpiredClient(found, nowMs);
  }

  // ---- agents and request-signing state ----------------------------------------------------
  /** Through the auth lookup cache: last_seen_at and last_heartbeat_at may lag (listAgents doesn't). */
  async getAgent(agentId: string, request?: object) {
    return this.authLookups.lookup('agent', agentId, request, async () => {
      const row = await one(this.pool, 'SELECT * FROM agents WHERE agent_id = $1', [agentId]);
      return row ? mapAgent(row) : undefined;
    });
  }
  async saveAgent(a: AgentRecord) {
    await run(
      this.pool,
      `INSERT INTO agents (agent_id, client_id, agent_name, agent_version, os_name, os_version, arch,
         capabilities, effective_capabilities, capability_warnings, max_parallel_jobs, public_key,
         fingerprint, identity_conflict, feature_flags_contract_version, last_seen_at, last_register_at,
         last_heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
       ON CONFLICT (agent_id) DO UPDATE SET client_id = excluded.client_id,
         agent_name = excluded.agent_name, agent_version = excluded.agent_version,
         os_name = excluded.os_name, os_version = excluded.os_version, arch = excluded.arch,
         capabilities = excluded.capabilities, effective_capabilities = excluded.effective_capabilities,
         capability_warnings = excluded.capability_warnings, max_parallel_jobs = excluded.max_parallel_jobs,
         public_key = excluded.public_key, fingerprint = excluded.fingerprint,
         identity_conflict = excluded.identity_conflict,
         feature_flags_contract_version = excluded.feature_flags_contract_version,
         last_seen_at = excluded.last_seen_at, last_register_at = excluded.last_register_at`,
      [
        a.agent_id,
        a.client_id,
        a.agent_name,
        a.agent_version,
        a.os_name,
        a.os_version,
        a.arch,
        JSON.stringify(a.capabilities),
        JSON.stringify(a.effective_capabilities),
        JSON.stringify(a.capability_warnings),
        a.max_parallel_jobs,
        a.public_key,
        a.fingerprint,
        a.identity_conflict ? 1 : 0,
        a.feature_flags_contract_version,
        a.last_seen_at,
        a.last_register_at,
        a.last_heartbeat_at,
      ],
    );
  }
  async touchAgent(agentId: string, nowMs: number) {
    await run(this.pool, 'UPDATE agents SET last_seen_at = $1 WHERE agent_id = $2', [
      iso(nowMs),
      agentId,
    ]);
  }
  async listAgents() {
    return (await all(this.pool, 'SELECT * FROM agents ORDER BY last_seen_at DESC')).map(mapAgent);
  }
  async latestAgentOfClient(clientId: string, request?: object) {
    return this.authLookups.lookup('latestAgentOfClient', clientId, request, async () => {
      const row = await one(this.pool, PG_LATEST_AGENT_OF_CLIENT_SQL, [clientId]);
      return row ? mapAgent(row) : undefined;
    });
  }
  async agentJobDigest(agentId: string): Promise<AgentJobDigest> {
    const first = async (sql: string) => {
      const row = await one(this.pool, sql, [agentId]);
      return row ? mapJob(row) : undefined;
    };
    return {
      current: (await first(
        `SELECT * FROM jobs WHERE claimed_by = $1 AND status = 'claimed' ORDER BY claimed_at DESC LIMIT 1`,
      )) as AgentJobDigest['current'],
      lastCompleted: await first(
        `SELECT j.* FROM jobs j JOIN job_claims c ON c.job_id = j.job_id AND c.outcome = 'completed'
         WHERE c.agent_id = $1 ORDER BY c.ended_at DESC LIMIT 1`,
      ),
      lastFailed: await first(
        `SELECT j.* FROM jobs j JOIN job_claims c ON c.job_id = j.job_id AND c.outcome IN ('failed', 'retry')
         WHERE c.agent_id = $1 ORDER BY c.ended_at DESC LIMIT 1`,
      ),
    };
  }
  /** One atomic statement: two replicas seeing the same nonce at once accept it once. */
  rememberNonce(agentId: string, nonce: string, nowMs: number, windowMs: number) {
    return acceptNonce(this.pool, { agentId, nonce, nowMs, windowMs });
  }
  async logSecurityEvent(kind: string, detail: Record<string, unknown>) {
    await run(
      this.pool,
      'INSERT INTO security_events (at, kind, agent_id, client_id, detail) VALUES ($1, $2, $3, $4, $5)',
      [
        new Date().toISOString(),
        kind,
        (detail.agent_id as string | undefined) ?? null,
        (detail.client_id as string | undefined) ?? null,
        JSON.stringify(detail),
      ],
    );
  }
  async listSecurityEvents() {
    const rows = await all<{ kind: string; detail: string }>(
      this.pool,
      'SELECT kind, detail FROM security_events ORDER BY id',
    );
    return rows.map((r) => ({
      kind: r.kind,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  // ---- assets ------------------------------------------------------------------------------
  async listMovedAssetsDiscoveredAs(prefixes: string[]): Promise<MovedAssetOrigin[]> {
    if (prefixes.length === 0) return [];
    // The discovery path up to and including its last '.', ASCII-lower-cased (as in SQLite).
    const rows = await all(
      this.pool,
      `SELECT discovered, relative_path, media_type, sidecars FROM (
         SELECT path_history::jsonb ->> 0 AS discovered, relative_path, media_type, sidecars
         FROM assets WHERE path_history <> '[]') moved
       WHERE lower(substring(discovered from '^(.*\\.)')) = ANY($1::text[])`,
      [prefixes],
    );
    return rows.map((r) => ({
      discovered: String(r.discovered),
      relative_path: String(r.relative_path),
      media_type: r.media_type as MediaType,
      sidecars: JSON.parse(String(r.sidecars)) as string[],
    }));
  }
  loadScanIndex() {
    return all<ScanIndexEntry>(
      this.pool,
      `SELECT uuid, relative_path, size_bytes, mtime_ms, stable_scans, ${SCAN_PHASE_SQL} AS phase,
         sidecars FROM assets`,
    );
  }
  async scanIndexVersion() {
    const [row] = await all<{ version: string }>(
      this.pool,
      'SELECT version FROM scan_index_version WHERE id = 1',
    );
    return Number(row!.version);
  }
  async applyScan(changes: ScanChanges, flags: FeatureFlags, nowMs: number) {
    if (!changes.inserts.length && !changes.updates.length && !changes.ready.length) return;
    const now = iso(nowMs);
    await inTransaction(this.pool, async (c) => {
      for (const a of changes.inserts) {
        await run(
          c,
          `INSERT INTO assets (uuid, media_type, state, relative_path, name, size_bytes, mtime_ms,
             stable_scans, profile, sidecars, created_at, updated_at)
           VALUES ($1, $2, 'DISCOVERED', $3, $4, $5, $6, 0, $7, $8, $9, $9)`,
          [
            a.uuid,
            a.media_type,
            a.relative_path,
            a.name,
            a.size_bytes,
            a.mtime_ms,
            a.profile,
            JSON.stringify(a.sidecars),
            now,
          ],
        );
        await indexAssetName(c, a.uuid, a.name);
      }
      for (const u of changes.updates) {
        await run(
          c,
          'UPDATE assets SET size_bytes = $1, mtime_ms = $2, stable_scans = $3, sidecars = $4 WHERE uuid = $5',
          [u.size_bytes, u.mtime_ms, u.stable_scans, JSON.stringify(u.sidecars), u.uuid],
        );
      }
      for (const uuid of changes.ready) {
        const asset = await loadAsset(c, uuid, true);
        if (!asset || asset.state !== 'DISCOVERED') continue;
        await setAssetState(c, asset, 'READY', 'discovery_stable', now);
        await ensurePlannedJobs(c, asset, flags, now);
      }
    });
    if (changes.inserts.length + changes.ready.length >= ANALYZE_AFTER_ROWS) {
      // A card dump just landed: without fresh statistics the planner takes the poll for a
      // few rows and sorts every pending job on each GET /jobs (13 ms at 2,000 pending, growing
      // with the queue) instead of walking the queue index and stopping at the limit (1.8 ms).
      // Autovacuum would get there, up to a minute later. Failing (no owner rights) is harmless.
      await this.pool.query('ANALYZE assets, jobs').catch(() => {});
    }
  }
  getAsset(uuid: string) {
    return loadAsset(this.pool, uuid);
  }
  async listAssets(f: AssetListFilter) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.q) {
      const condition = searchCondition(f.q, params);
      if (condition) where.push(condition);
    }
    if (f.states?.length) {
      params.push(f.states);
      where.push(`state = ANY($${params.length}::text[])`);
    }
    if (f.mediaType) {
      params.push(f.mediaType);
      where.push(`media_type = $${params.length}`);
    }
    if (f.after) {
      where.push(
        pgAfterKeyCondition(f.sort, f.after, (value) => {
          params.push(value);
          return `$${params.length}`;
        }),
      );
    }
    params.push(f.limit, f.offset);
    const sql = `SELECT * FROM assets ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${pgOrderByFor(f.sort)} LIMIT $${params.length - 1} OFFSET $${params.length}`;
    return (await all(this.pool, sql, params)).map(mapAsset);
  }
  async listDerivedOf(uuids: string[]) {
    const rows = await all<DerivedFileRecord>(
      this.pool,
      'SELECT * FROM derived_files WHERE asset_uuid = ANY($1::text[]) ORDER BY asset_uuid, kind, idx',
      [uuids],
    );
    return groupDerived(uuids, rows);
  }

  listDerived(uuid: string) {
    return all<DerivedFileRecord>(
      this.pool,
      'SELECT * FROM derived_files WHERE asset_uuid = $1 ORDER BY kind, idx',
      [uuid],
    );
  }
  findDerivedByUpload(uploadId: string) {
    return one<DerivedFileRecord>(this.pool, 'SELECT * FROM derived_files WHERE upload_id = $1', [
      uploadId,
    ]);
  }

  // ---- jobs --------------------------------------------------------------------------------
  async getJob(jobId: string) {
    const row = await one(this.pool, 'SELECT * FROM jobs WHERE job_id = $1', [jobId]);
    return row ? mapJob(row) : undefined;
  }
  async listPendingJobs() {
    return (
      await all(
        this.pool,
        `SELECT * FROM jobs WHERE status = 'pending' ORDER BY created_at, job_id`,
      )
    ).map(mapJob);
  }
  listClaimableJobs(input: ListClaimableJobsInput) {
    return listClaimableJobs(this.pool, input);
  }
  listAssetJobs(uuid: string): Promise<JobRecord[]> {
    return loadAssetJobs(this.pool, uuid);
  }
  async listJobClaims(jobId: string): Promise<JobClaimRecord[]> {
    return (
      await all(this.pool, 'SELECT * FROM job_claims WHERE job_id = $1 ORDER BY fencing_token', [
        jobId,
      ])
    ).map(mapClaim);
  }
  claimJob(input: ClaimJobInput) {
    return claimJob(this.pool, input);
  }
  extendLease(proof: LeaseProof, leaseTtlMs: number) {
    return extendLease(this.pool, proof, leaseTtlMs);
  }
  completeJob(input: CompleteJobInput) {
    return completeJob(this.pool, input);
  }
  claimJobOnce(input: ClaimJobInput, nonce: NonceUse) {
    return claimJobOnce(this.pool, input, nonce);
  }
  completeJobOnce(
    input: CompleteJobInput,
    nonce: NonceUse,
    idem: IdempotentWrite,
    respond: (result: CompleteJobResult) => unknown,
  ) {
    return completeJobOnce(this.pool, input, nonce, idem, respond);
  }
  failJob(input: FailJobInput) {
    return failJob(this.pool, input);
  }
  expireLeases(nowMs: number) {
    return expireLeases(this.pool, nowMs);
  }

  // ---- idempotency -------------------------------------------------------------------------
  beginIdempotent(scope: IdempotencyScope, requestSha256: string, nowMs: number) {
    return claimIdempotencyKey(this.pool, { scope, requestSha256, nowMs });
  }
  async finishIdempotent(s: IdempotencyScope, statusCode: number, body: unknown) {
    await run(
      this.pool,
      'UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE actor = $3 AND endpoint = $4 AND idem_key = $5',
      [statusCode, JSON.stringify(body ?? null), s.actor, s.endpoint, s.key],
    );
  }
  async abandonIdempotent(s: IdempotencyScope) {
    await run(
      this.pool,
      'DELETE FROM idempotency_keys WHERE actor = $1 AND endpoint = $2 AND idem_key = $3',
      [s.actor, s.endpoint, s.key],
    );
  }

  // ---- uploads -----------------------------------------------------------------------------
  async createUpload(u: UploadRecord) {
    await run(
      this.pool,
      `INSERT INTO uploads (upload_id, asset_uuid, agent_id, kind, content_type, size_bytes, sha256, status, created_at, expires_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        u.upload_id,
        u.asset_uuid,
        u.agent_id,
        u.kind,
        u.content_type,
        u.size_bytes,
        u.sha256,
        u.status,
        u.created_at,
        u.expires_at_ms,
      ],
    );
  }
  async getUpload(uploadId: string) {
    const row = await one(this.pool, 'SELECT * FROM uploads WHERE upload_id = $1', [uploadId]);
    return row ? mapUpload(row) : undefined;
  }
  async saveUploadPart(p: UploadPartRecord) {
    await run(
      this.pool,
      `INSERT INTO upload_parts (upload_id, part_number, size_bytes, part_etag) VALUES ($1, $2, $3, $4)
       ON CONFLICT (upload_id, part_number) DO UPDATE SET size_bytes = excluded.size_bytes, part_etag = excluded.part_etag`,
      [p.upload_id, p.part_number, p.size_bytes, p.part_etag],
    );
  }
  listUploadParts(uploadId: string) {
    return all<UploadPartRecord>(
      this.pool,
      'SELECT * FROM upload_parts WHERE upload_id = $1 ORDER BY part_number',
      [uploadId],
    );
  }
  async markUploadCompleted(uploadId: string, sha256: string, expiresAtMs: number) {
    await run(
      this.pool,
      `UPDATE uploads SET status = 'COMPLETED', sha256 = $1, expires_at_ms = $2 WHERE upload_id = $3 AND status = 'OPEN'`,
      [sha256, expiresAtMs, uploadId],
    );
  }
  async listExpiredUploads(nowMs: number) {
    return (
      await all(
        this.pool,
        `SELECT * FROM uploads WHERE status IN ('OPEN', 'COMPLETED') AND expires_at_ms < $1`,
        [nowMs],
      )
    ).map(mapUpload);
  }
  async markUploadExpired(uploadId: string) {
    await inTransaction(this.pool, async (c) => {
      await run(c, `UPDATE uploads SET status = 'EXPIRED' WHERE upload_id = $1`, [uploadId]);
      await run(c, 'DELETE FROM upload_parts WHERE upload_id = $1', [uploadId]);
    });
  }
  async agentUploadUsage(agentId: string, nowMs: number): Promise<AgentUploadUsage> {
    const row = (await one<{ n: number; bytes: number }>(
      this.pool,
      `SELECT COUNT(*) AS n, COALESCE(SUM(size_bytes), 0) AS bytes FROM uploads
       WHERE agent_id = $1 AND status IN ('OPEN', 'COMPLETED') AND expires_at_ms >= $2`,
      [agentId, nowMs],
    ))!;
    return { open_uploads: row.n, declared_bytes: row.bytes };
  }

  // ---- pruning -----------------------------------------------------------------------------
  async pruneExpired(nowMs: number, nonceWindowMs: number, idempotencyWindowMs: number) {
    await run(this.pool, 'DELETE FROM nonces WHERE seen_at_ms < $1', [nowMs - nonceWindowMs]);
    await run(this.pool, 'DELETE FROM idempotency_keys WHERE created_at_ms < $1', [
      nowMs - idempotencyWindowMs,
    ]);
    await run(this.pool, 'DELETE FROM client_tokens WHERE expires_at_ms < $1', [nowMs]);
    await run(this.pool, 'DELETE FROM user_tokens WHERE expires_at_ms < $1', [nowMs]);
  }
  /** Deletes by age, then keeps only the newest `max*` rows. Returns how many rows went. */
  pruneSecurityRecords(p: SecurityPruneInput): Promise<SecurityRowCounts> {
    return inTransaction(this.pool, async (c) => {
      let events = await run(c, 'DELETE FROM security_events WHERE at < $1', [p.eventsBefore]);
      events += await run(
        c,
        `DELETE FROM security_events WHERE id <= (
           SELECT id FROM security_events ORDER BY id DESC LIMIT 1 OFFSET $1)`,
        [p.maxEvents],
      );
      let flows = await run(c, 'DELETE FROM device_flows WHERE expires_at_ms < $1', [
        p.flowsExpiredBeforeMs,
      ]);
      flows += await run(
        c,
        `DELETE FROM device_flows WHERE device_code_hash IN (
           SELECT device_code_hash FROM device_flows ORDER BY created_at_ms DESC OFFSET $1)`,
        [p.maxFlows],
      );
      return { security_events: events, device_flows: flows };
    });
  }
  async countSecurityRecords(): Promise<SecurityRowCounts> {
    const row = (await one<SecurityRowCounts>(
      this.pool,
      `SELECT (SELECT COUNT(*) FROM security_events) AS security_events,
              (SELECT COUNT(*) FROM device_flows) AS device_flows`,
    ))!;
    return row;
  }
}
