// Embedded SQLite implementation of CoreStore (better-sqlite3, WAL, one file in the data dir).
// Accounts (users, device flows, clients, agents, nonces) live in ./sqlite-accounts-store.ts,
// queue transitions in ./jobs/ (one file each), human mutations, moves and /ops in their own
// files; this class wires them and holds the small CRUD of assets, idempotency and uploads.
import { afterKeyCondition, orderByFor } from '../../domain/asset-sort.js';
import type { FeatureFlags, MediaType } from '@retaia/protocol';
import type {
  AssetListFilter,
  CoreStore,
  IdempotencyBegin,
  IdempotencyScope,
  MovedAssetOrigin,
  ScanChanges,
  ScanIndexEntry,
} from '../core-store.js';
import type {
  DerivedFileRecord,
  JobClaimRecord,
  JobRecord,
  UploadPartRecord,
  UploadRecord,
} from '../records.js';
import { ensurePlannedJobs, loadAsset, loadAssetJobs, setAssetState } from './asset-lifecycle.js';
import { claimJob } from './jobs/claim-job.js';
import { completeJob } from './jobs/complete-job.js';
import { expireLeases } from './jobs/expire-leases.js';
import { extendLease } from './jobs/extend-lease.js';
import { failJob } from './jobs/fail-job.js';
import { claimJobOnce, completeJobOnce, lookupIdempotent } from './jobs/signed-once.js';
import { listClaimableJobs } from './jobs/list-claimable-jobs.js';
import { openDatabase } from './open-database.js';
import {
  startWalCheckpointer,
  type WalCheckpointer,
  type WalCheckpointerReport,
} from './wal-checkpointer.js';
import { SCAN_PHASE_SQL } from '../scan-index-sql.js';
import { indexAssetName, searchTerms } from './asset-search-rows.js';
import { groupDerived } from '../records.js';
import { SqliteAccountsStore } from './sqlite-accounts-store.js';
import { patchAsset, reopenAsset, reprocessAsset } from './human-mutations.js';
import { listDecisionHistory } from './decision-history.js';
import { lockedAssetUuids, SqliteAssetRecords, SqliteMoveJournal } from './sqlite-move-journal.js';
import { SqliteOpsStore } from './ops-store.js';
import { mapAsset, mapClaim, mapJob, mapUpload } from './row-mappers.js';
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

export class SqliteCoreStore extends SqliteAccountsStore implements CoreStore {
  readonly moveJournal: SqliteMoveJournal;
  readonly ops: SqliteOpsStore;
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(
    dataDir: string,
    options: { walCheckpointer?: WalCheckpointerReport | undefined } = {},
  ) {
    super(openDatabase(dataDir));
    this.moveJournal = new SqliteMoveJournal(this.db);
    this.ops = new SqliteOpsStore(this.db);
    if (options.walCheckpointer) {
      this.checkpointer = startWalCheckpointer(this.db, {
        ...options.walCheckpointer,
        startAfterMs: 1000,
      });
    }
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
    await this.checkpointer?.close(); // first: the last connection to close checkpoints the WAL
    if (this.db.open) this.db.close();
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
        `SELECT uuid, relative_path, size_bytes, mtime_ms, stable_scans, ${SCAN_PHASE_SQL} AS phase,
           sidecars FROM assets`,
      )
      .all() as ScanIndexEntry[];
  }
  async scanIndexVersion() {
    return (
      this.db.prepare('SELECT version FROM scan_index_version WHERE id = 1').get() as {
        version: number;
      }
    ).version;
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
          indexAssetName(this.db, a.uuid);
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
      const search = searchTerms(this.db, f.q, f);
      where.push(...search.where);
      params.push(...search.params);
    }
    if (f.states?.length) {
      where.push(`state IN (${f.states.map(() => '?').join(', ')})`);
      params.push(...f.states);
    }
    if (f.mediaType) {
      where.push('media_type = ?');
      params.push(f.mediaType);
    }
    if (f.after) {
      where.push(
        afterKeyCondition(f.sort, f.after, (value) => {
          params.push(value);
          return '?';
        }),
      );
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

  async listDerivedOf(uuids: string[]) {
    const rows = this.db
      .prepare(
        `SELECT * FROM derived_files WHERE asset_uuid IN (SELECT value FROM json_each(?))
         ORDER BY asset_uuid, kind, idx`,
      )
      .all(JSON.stringify(uuids)) as DerivedFileRecord[];
    return groupDerived(uuids, rows);
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
