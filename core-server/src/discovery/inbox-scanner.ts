// Periodic discovery of INBOX. One walk = readdir per directory + one stat per file; the store is
// read once and written once per scan, and only for what changed, so a rescan of unchanged files
// costs little more than the walk itself. DISCOVERED→READY needs the same size on two
// consecutive scans AND an mtime older than the stability window. Only real files and folders
// are assets: symbolic links (to files or folders, inside the root or not) are skipped and
// reported, so no decision can ever move or delete what a link points to; sidecars go to their
// single owner only (./sidecar-ownership.ts, docs/storage-safety.md).
import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { relativePathProblem, type MediaType } from '@retaia/protocol';
import type { CoreContext } from '../server/core-context.js';
import type { NewAsset, ScanChanges, ScanIndexEntry } from '../store/core-store.js';
import { defaultProfile } from '../domain/job-plan.js';
import { STORAGE_DIRS } from '../storage/storage-marker.js';
import {
  ALL_SIDECAR_EXTENSIONS,
  baseNameOf,
  extensionOf,
  mediaTypeOf,
  sidecarExtensions,
} from './media-classification.js';
import {
  assignSidecars,
  discoveryPrefix,
  historicalClaims,
  type AmbiguousSidecar,
  type SidecarCandidates,
} from './sidecar-ownership.js';
import { missingInboxAssets, unmatchedSidecars } from './unmatched-sidecars.js';

export interface ScanReport {
  files_seen: number;
  new_assets: number;
  became_ready: number;
  unknown_files: number;
  ignored_symlinks: number;
  unsafe_names: number;
  /** Sidecars claimed by several media files: left in place, owned by none. */
  ambiguous_sidecars: AmbiguousSidecar[];
  /** Entries that are not assets and why (first MAX_SKIPPED_LISTED; the counts are complete). */
  skipped: { path: string; reason: string }[];
  duration_ms: number;
  /** Where the time went, for the operator and the rescan bench. */
  phases_ms: { index: number; walk: number; sidecars: number; compare: number; write: number };
}

const MAX_SKIPPED_LISTED = 100;

/** A name with a character that can make a path unsafe (see relativePathProblem) or a line break. */
function suspiciousName(name: string): boolean {
  return name === '..' || /[\\\0\r\n]/.test(name);
}
const SYMLINK_REASON =
  'symbolic link: not an asset (Retaia manages real files only and never follows links; copy the file itself into INBOX)';

interface SeenFile {
  relative: string;
  name: string;
  size: number;
  mtimeMs: number;
}

const STAT_BATCH = 64;

export class InboxScanner {
  private running: Promise<ScanReport> | undefined;
  private lastProblems = JSON.stringify([[], []]);

  constructor(private readonly ctx: CoreContext) {}

  /** Runs one scan; concurrent callers share the scan in progress, then a fresh one runs. */
  async scan(): Promise<ScanReport> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.scanOnce();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async scanOnce(): Promise<ScanReport> {
    const started = performance.now();
    const { stabilityWindowMs, videoProxySidecars } = this.ctx.options;
    const report: ScanReport = {
      files_seen: 0,
      new_assets: 0,
      became_ready: 0,
      unknown_files: 0,
      ignored_symlinks: 0,
      unsafe_names: 0,
      ambiguous_sidecars: [],
      skipped: [],
      duration_ms: 0,
      phases_ms: { index: 0, walk: 0, sidecars: 0, compare: 0, write: 0 },
    };
    let mark = performance.now();
    const phase = (name: keyof ScanReport['phases_ms']) => {
      const now = performance.now();
      report.phases_ms[name] = Math.round(now - mark);
      mark = now;
    };
    const seen: { file: SeenFile; candidates: string[] }[] = [];
    const sidecarFiles: string[] = [];
    // Loaded before the walk: a file whose asset is past discovery needs no lstat (only its
    // sidecars are still followed), which is most of a settled library's rescan.
    const index = new Map((await this.ctx.store.loadScanIndex()).map((e) => [e.relative_path, e]));
    phase('index');
    await this.walkDir(STORAGE_DIRS.inbox, report, seen, sidecarFiles, videoProxySidecars, index);
    phase('walk');
    const owners = await assignSidecars(
      seen.map((m): SidecarCandidates => ({ relative: m.file.relative, candidates: m.candidates })),
      (relative) => {
        const known = index.get(relative);
        return known ? (JSON.parse(known.sidecars) as string[]) : undefined;
      },
      async (sidecars) =>
        historicalClaims(
          await this.ctx.store.listMovedAssetsDiscoveredAs([
            ...new Set(sidecars.map(discoveryPrefix)),
          ]),
          videoProxySidecars,
        ),
    );
    report.ambiguous_sidecars = owners.ambiguous;
    phase('sidecars');
    const media = seen.map(({ file }) => ({ file, sidecars: owners.sidecars.get(file.relative)! }));
    const now = this.ctx.clock();
    const changes: ScanChanges = { inserts: [], updates: [], ready: [] };
    for (const { file, sidecars } of media) {
      const known = index.get(file.relative);
      if (!known) {
        const mediaType = mediaTypeOf(file.name)!;
        const asset: NewAsset = {
          uuid: randomUUID(),
          media_type: mediaType,
          profile: defaultProfile(mediaType),
          relative_path: file.relative,
          name: file.name,
          size_bytes: file.size,
          mtime_ms: Math.trunc(file.mtimeMs),
          sidecars,
        };
        changes.inserts.push(asset);
        report.new_assets++;
        continue;
      }
      const sidecarsJson = sidecars.length ? JSON.stringify(sidecars) : '[]';
      const mtime = Math.trunc(file.mtimeMs);
      if (known.state !== 'DISCOVERED') {
        // Past discovery only the sidecar list is kept up to date.
        if (known.sidecars !== sidecarsJson) {
          changes.updates.push({
            uuid: known.uuid,
            size_bytes: known.size_bytes,
            mtime_ms: known.mtime_ms,
            stable_scans: known.stable_scans,
            sidecars,
          });
        }
        continue;
      }
      const unchanged = known.size_bytes === file.size && known.mtime_ms === mtime;
      const stableScans = unchanged ? known.stable_scans + 1 : 0;
      if (!unchanged || known.sidecars !== sidecarsJson || stableScans !== known.stable_scans) {
        changes.updates.push({
          uuid: known.uuid,
          size_bytes: file.size,
          mtime_ms: mtime,
          stable_scans: stableScans,
          sidecars,
        });
      }
      if (stableScans >= 1 && now - mtime >= stabilityWindowMs) {
        changes.ready.push(known.uuid);
        report.became_ready++;
      }
    }
    phase('compare');
    await this.ctx.store.applyScan(changes, this.ctx.flags, now);
    // What did not become an asset, for the operator (GET /ops/ingest/*).
    await this.ctx.store.ops.recordIngestScan({
      unmatched: unmatchedSidecars(
        sidecarFiles,
        seen.map((m) => ({ relative: m.file.relative, candidates: m.candidates })),
        owners.ambiguous,
        videoProxySidecars,
      ),
      missing: missingInboxAssets(
        index,
        seen.map((m) => m.file.relative),
      ),
      finishedAtMs: this.ctx.clock(),
    });
    phase('write');
    report.duration_ms = Math.round(performance.now() - started);
    // Skipped entries and ambiguous sidecars are logged when they change, not on every scan.
    const problems = JSON.stringify([report.skipped, report.ambiguous_sidecars]);
    const newProblems = problems !== this.lastProblems;
    this.lastProblems = problems;
    if (report.new_assets || report.became_ready || newProblems) {
      this.ctx.logger.info({ scan: report }, 'inbox scan');
    }
    if (newProblems && report.ambiguous_sidecars.length) {
      this.ctx.logger.warn(
        { ambiguous_sidecars: report.ambiguous_sidecars.slice(0, MAX_SKIPPED_LISTED) },
        'sidecars claimed by several media files of the same name are left in place, owned by none (rename one of the media files or the sidecar to pair them)',
      );
    }
    return report;
  }

  private skip(report: ScanReport, relative: string, reason: string) {
    if (report.skipped.length < MAX_SKIPPED_LISTED) report.skipped.push({ path: relative, reason });
  }

  private async walkDir(
    relDir: string,
    report: ScanReport,
    media: { file: SeenFile; candidates: string[] }[],
    sidecarFiles: string[],
    videoProxySidecars: boolean,
    index: ReadonlyMap<string, ScanIndexEntry>,
  ): Promise<void> {
    const absDir = path.join(this.ctx.options.storageRoot, relDir);
    let entries: Dirent[];
    try {
      entries = await readdir(absDir, { withFileTypes: true });
    } catch (err) {
      this.ctx.logger.warn({ dir: relDir, err: (err as Error).message }, 'cannot read directory');
      return;
    }
    const files: { name: string; relative: string }[] = [];
    const subdirs: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const relative = `${relDir}/${e.name}`;
      // relDir is already safe, so only the name can make the path unsafe; the full check runs
      // only for names with a character that could (100,000 names: 70 ms → next to nothing).
      if (suspiciousName(e.name) && (relativePathProblem(relative) || /[\r\n]/.test(e.name))) {
        report.unsafe_names++;
        this.skip(report, relative, 'unsafe name (control characters or not a valid storage path)');
        continue;
      }
      if (e.isSymbolicLink()) {
        report.ignored_symlinks++;
        this.skip(report, relative, SYMLINK_REASON);
        continue;
      }
      if (e.isDirectory()) subdirs.push(relative);
      else if (e.isFile()) files.push({ name: e.name, relative });
      else this.skip(report, relative, 'not a regular file or folder (FIFO, socket or device)');
    }

    const namesByLower = new Map(files.map((f) => [f.name.toLowerCase(), f.relative]));
    const mediaFiles: { name: string; relative: string; mediaType: MediaType }[] = [];
    for (const f of files) {
      const mediaType = mediaTypeOf(f.name);
      if (mediaType) mediaFiles.push({ ...f, mediaType });
      else if (ALL_SIDECAR_EXTENSIONS.has(extensionOf(f.name))) sidecarFiles.push(f.relative);
      else report.unknown_files++;
    }
    const seenFile = (f: (typeof mediaFiles)[number], size: number, mtimeMs: number) => {
      report.files_seen++;
      const base = baseNameOf(f.name).toLowerCase();
      const candidates: string[] = [];
      for (const ext of sidecarExtensions(f.mediaType, videoProxySidecars)) {
        const sidecar = namesByLower.get(`${base}.${ext}`);
        if (sidecar !== undefined) candidates.push(sidecar);
      }
      media.push({ file: { relative: f.relative, name: f.name, size, mtimeMs }, candidates });
    };
    // Past discovery, size and mtime are not compared any more: readdir said it is a regular
    // file, the index has the rest. Only new and DISCOVERED files are lstat'ed.
    const toStat: typeof mediaFiles = [];
    for (const f of mediaFiles) {
      const known = index.get(f.relative);
      if (known && known.state !== 'DISCOVERED') seenFile(f, known.size_bytes, known.mtime_ms);
      else toStat.push(f);
    }
    for (let i = 0; i < toStat.length; i += STAT_BATCH) {
      const batch = toStat.slice(i, i + STAT_BATCH);
      const stats = await Promise.all(
        batch.map((f) => lstat(path.join(absDir, f.name)).catch(() => undefined)),
      );
      batch.forEach((f, j) => {
        const st = stats[j];
        if (!st?.isFile()) return; // gone, or swapped for a link since readdir
        seenFile(f, st.size, st.mtimeMs);
      });
    }
    for (const d of subdirs)
      await this.walkDir(d, report, media, sidecarFiles, videoProxySidecars, index);
  }
}
