// The poll behind GET /jobs: the oldest pending jobs this agent may claim, with their assets,
// answered from an in-memory index of the pending jobs instead of a query per poll.
//
// How the index stays in step with the database, whoever writes it: triggers (migration v5)
// append the asset's uuid to `job_queue_changes` in the same transaction as every insert or
// delete of a job, every change of its queue fields, and every change of an asset's path or
// sidecars (the parts of a poll answer that come from the asset). Each poll first reads the log
// past the last entry it applied and re-reads those assets' pending jobs; then it filters in
// memory. Because the triggers run inside every writer's
// transaction — this process, the operator CLI, a second process — nothing committed is missed.
// The log has no gaps (one writer at a time, AUTOINCREMENT): a gap means entries were pruned
// before this index read them, and the index rebuilds from the jobs table, as it does at start.
//
// Matching rules (unchanged): capabilities as hasAllCapabilities, the feature flag (if any) must
// be on, no live move/purge lock on the asset (docs/asset-states.md locks), oldest (created_at, job_id) first.
import type { Database } from 'better-sqlite3';
import type { JobRecord } from '../../records.js';
import { AuthChangedError } from '../../store-types.js';
import { currentAuthVersion } from '../auth-lookup-cache.js';
import { mapJob } from '../row-mappers.js';
import type { ClaimableAsset, ClaimableJob, ListClaimableJobsInput } from '../../store-types.js';

type Row = Record<string, unknown>;
/** Applied log entries are deleted once this many have piled up. */
const PRUNE_AFTER = 2000;

/**
 * The row says what the record says (a differently formatted capability list counts as a change:
 * the entry is rebuilt, which is only slower).
 */
function sameJobRow(job: JobRecord, row: Row): boolean {
  for (const key in row) {
    const value = row[key];
    const known = (job as unknown as Row)[key];
    if (key === 'required_capabilities' ? value !== JSON.stringify(known) : value !== known)
      return false;
  }
  return true;
}

const before = (a: JobRecord, b: JobRecord) =>
  a.created_at < b.created_at || (a.created_at === b.created_at && a.job_id < b.job_id);

/**
 * Pending jobs with the same requirements (capabilities + feature flag), oldest first. A poll
 * looks only at the groups the agent matches, so a backlog of jobs it cannot take (say
 * thousands of previews for a facts-only agent) costs it nothing.
 */
interface Group {
  capabilities: readonly string[];
  flag: string | null;
  jobs: ClaimableJob[];
}

const groupKey = (job: JobRecord) =>
  `${job.feature_flag ?? ''}\n${[...job.required_capabilities].sort().join('\n')}`;

/** First position in `jobs` whose job does not sort before `job` (binary search). */
function insertionPoint(jobs: ClaimableJob[], job: JobRecord): number {
  let lo = 0;
  let hi = jobs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(jobs[mid]!.job, job)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ClaimableIndex {
  private groups = new Map<string, Group>();
  private byAsset = new Map<string, ClaimableJob[]>();
  /** Last change-log entry applied; undefined until the first build. */
  private appliedSeq: number | undefined;
  private prunedUpTo = 0;

  constructor(private readonly db: Database) {}

  list(input: ListClaimableJobsInput): ClaimableJob[] {
    const locked = this.db.inTransaction ? this.readChanges(input) : this.readInOneSnapshot(input);
    this.pruneApplied();
    // hasAllCapabilities' rule, with the agent's set built once per poll.
    const offered = new Set(input.effectiveCapabilities);
    const candidates: ClaimableJob[] = [];
    let groupsTaken = 0;
    for (const group of this.groups.values()) {
      if (group.flag && input.flags[group.flag] !== true) continue;
      if (!group.capabilities.every((c) => offered.has(c))) continue;
      let taken = 0;
      for (const entry of group.jobs) {
        if (taken >= input.limit) break;
        if (locked.has(entry.job.asset_uuid)) continue;
        candidates.push(entry);
        taken++;
      }
      if (taken > 0) groupsTaken++;
    }
    // One group's jobs are in order already (the usual poll: an agent matching one kind of job).
    if (groupsTaken < 2) return candidates;
    return candidates.sort((a, b) => (before(a.job, b.job) ? -1 : 1)).slice(0, input.limit);
  }

  /**
   * A poll's reads (the change log, the changed assets' rows, the live locks) in one read
   * transaction. Outside a transaction each statement takes and releases its own WAL snapshot,
   * and those six-odd acquisitions per poll under load cost more than the statements' own work.
   * Synchronous from BEGIN to COMMIT, so no other request runs inside it.
   */
  private readInOneSnapshot(input: ListClaimableJobsInput): Set<string> {
    this.db.prepare('BEGIN DEFERRED').run();
    try {
      return this.readChanges(input);
    } finally {
      this.db.prepare('COMMIT').run();
    }
  }

  /**
   * Checks the poller's credentials as of this read (AuthChangedError when they changed since
   * its lookups), catches up with the log, then returns the assets under a live move/purge lock.
   */
  private readChanges({ authVersion, nowMs }: ListClaimableJobsInput): Set<string> {
    if (authVersion !== undefined && currentAuthVersion(this.db) !== authVersion) {
      throw new AuthChangedError();
    }
    this.catchUp();
    return new Set(
      (
        this.db
          .prepare('SELECT asset_uuid FROM asset_locks WHERE expires_at_ms > ?')
          .all(nowMs) as { asset_uuid: string }[]
      ).map((r) => r.asset_uuid),
    );
  }

  /**
   * Applies what was committed since the last poll (or builds the index the first time). The
   * log is read before the rows, so even outside one snapshot a commit landing in between is
   * both seen in the rows now and applied again (idempotently) at the next poll.
   */
  private catchUp(): void {
    if (this.appliedSeq === undefined) return this.rebuild();
    const changes = this.db
      .prepare('SELECT seq, asset_uuid FROM job_queue_changes WHERE seq > ? ORDER BY seq')
      .all(this.appliedSeq) as { seq: number; asset_uuid: string }[];
    if (changes.length === 0) return;
    if (changes[0]!.seq !== this.appliedSeq + 1) return this.rebuild();
    for (const uuid of new Set(changes.map((c) => c.asset_uuid))) this.refreshAsset(uuid);
    this.appliedSeq = changes.at(-1)!.seq;
  }

  /**
   * Deletes applied log entries once enough have piled up (the log grows while nobody polls).
   * A write, so it runs after the poll's read transaction, never as an upgrade inside it.
   */
  private pruneApplied(): void {
    if (this.appliedSeq === undefined || this.appliedSeq - this.prunedUpTo <= PRUNE_AFTER) return;
    this.db.prepare('DELETE FROM job_queue_changes WHERE seq <= ?').run(this.appliedSeq);
    this.prunedUpTo = this.appliedSeq;
  }

  private rebuild(): void {
    const seq = this.db
      .prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'job_queue_changes'`)
      .get() as { seq: number } | undefined;
    const assets = new Map(
      (
        this.db
          .prepare(
            `SELECT uuid, relative_path, sidecars FROM assets
               WHERE uuid IN (SELECT asset_uuid FROM jobs WHERE status = 'pending')`,
          )
          .all() as Row[]
      ).map((r) => [r.uuid as string, claimableAsset(r)]),
    );
    const jobs = this.db
      .prepare(`SELECT * FROM jobs WHERE status = 'pending' ORDER BY created_at, job_id`)
      .all() as Row[];
    this.groups.clear();
    this.byAsset.clear();
    for (const row of jobs) {
      const asset = assets.get(row.asset_uuid as string);
      if (!asset) continue;
      const entry = { job: Object.freeze(mapJob(row)), asset };
      this.groupOf(entry.job).jobs.push(entry); // rows come oldest first
      this.entriesOf(asset.uuid).push(entry);
    }
    // Everything up to here is in the index now: pruneApplied drops it after the reads.
    this.appliedSeq = seq?.seq ?? 0;
    this.prunedUpTo = -Infinity;
  }

  /**
   * Brings the asset's entries in line with its pending jobs as the database has them now. An
   * entry whose job row and whose asset's path and sidecars are unchanged is kept as it is (the
   * same objects, so it keeps its place in its group and its serialized answer): a claim or a
   * submit changes one job of an asset, and taking the asset's other jobs out of their groups
   * (arrays of thousands), re-reading the asset and putting them back cost a poll more than the
   * rest of it under load.
   */
  private refreshAsset(uuid: string): void {
    const old = new Map((this.byAsset.get(uuid) ?? []).map((e) => [e.job.job_id, e]));
    // `+status`: with a plain `status = ?` SQLite picks the status index and walks every
    // pending job instead of the asset's few.
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE asset_uuid = ? AND +status = 'pending'`)
      .all(uuid) as Row[];
    const asset = rows.length ? this.currentAsset(uuid, old.values().next().value) : undefined;
    const entries: ClaimableJob[] = [];
    const added: ClaimableJob[] = [];
    if (asset) {
      for (const row of rows) {
        const kept = old.get(row.job_id as string);
        if (kept && kept.asset === asset && sameJobRow(kept.job, row)) {
          old.delete(kept.job.job_id);
          entries.push(kept);
        } else added.push({ job: Object.freeze(mapJob(row)), asset });
      }
    }
    for (const gone of old.values()) {
      const group = this.groupOf(gone.job);
      const at = insertionPoint(group.jobs, gone.job);
      if (group.jobs[at] !== gone) throw new Error('claimable index out of order');
      group.jobs.splice(at, 1);
    }
    for (const entry of added) {
      const group = this.groupOf(entry.job);
      group.jobs.splice(insertionPoint(group.jobs, entry.job), 0, entry);
      entries.push(entry);
    }
    if (entries.length) this.byAsset.set(uuid, entries);
    else this.byAsset.delete(uuid);
  }

  /**
   * What the asset's entries take from it: the one they already share while its path and
   * sidecars are unchanged (so kept entries stay as they are), else a new one. Undefined when
   * the asset is gone.
   */
  private currentAsset(uuid: string, entry: ClaimableJob | undefined): ClaimableAsset | undefined {
    const row = this.db
      .prepare('SELECT uuid, relative_path, sidecars FROM assets WHERE uuid = ?')
      .get(uuid) as Row | undefined;
    if (!row) return undefined;
    const known = entry?.asset;
    if (
      known &&
      row.relative_path === known.relative_path &&
      row.sidecars === JSON.stringify(known.sidecars)
    ) {
      return known;
    }
    return claimableAsset(row);
  }

  private groupOf(job: JobRecord): Group {
    const key = groupKey(job);
    let group = this.groups.get(key);
    if (!group) {
      group = { capabilities: job.required_capabilities, flag: job.feature_flag, jobs: [] };
      this.groups.set(key, group);
    }
    return group;
  }

  private entriesOf(uuid: string): ClaimableJob[] {
    let list = this.byAsset.get(uuid);
    if (!list) this.byAsset.set(uuid, (list = []));
    return list;
  }
}

/** A poll answer's part of an asset row (uuid, relative_path, sidecars), shared by its entries. */
function claimableAsset(row: Row): ClaimableAsset {
  return Object.freeze({
    uuid: row.uuid as string,
    relative_path: row.relative_path as string,
    sidecars: Object.freeze(JSON.parse(row.sidecars as string)) as string[],
  });
}

const indexes = new WeakMap<Database, ClaimableIndex>();

/** The claimable jobs through the connection's index (built on first use). */
export function listClaimableJobs(db: Database, input: ListClaimableJobsInput): ClaimableJob[] {
  let index = indexes.get(db);
  if (!index) indexes.set(db, (index = new ClaimableIndex(db)));
  return index.list(input);
}
