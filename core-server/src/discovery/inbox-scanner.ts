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
import { ScanIndex, ScanIndexCache } from './scan-index.js';

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

/** A media file the walk saw, with the sidecar files of its folder that match its stem. */
interface SeenFile extends SidecarCandidates {
  name: string;
  size: number;
  mtimeMs: number;
  /** Its index entry, if it is a known asset (looked up once, during the walk). */
  known: ScanIndexEntry | undefined;
}

/** Shared by every media file without sidecars (most of them); never mutated. */
const NONE: readonly string[] = Object.freeze([]);

const STAT_BATCH = 64;
/** Subfolders listed ahead of the one being walked. */
const LIST_AHEAD = 4;

/** What one scan's walk accumulates, shared by every folder it visits. */
interface Walk {
  report: ScanReport;
  media: SeenFile[];
  sidecarFiles: string[];
  videoProxySidecars: boolean;
  index: ScanIndex;
}

export class InboxScanner {
  private running: Promise<ScanReport> | undefined;
  private lastProblems = JSON.stringify([[], []]);
  private readonly index: ScanIndexCache;

  constructor(private readonly ctx: CoreContext) {
    this.index = new ScanIndexCache(ctx.store);
  }

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
    const seen: SeenFile[] = [];
    const sidecarFiles: string[] = [];
    // Known before the walk: a file whose asset is past discovery needs no lstat (only its
    // sidecars are still followed), which is most of a settled library's rescan.
    const index = await this.index.current();
    phase('index');
    const walk: Walk = { report, media: seen, sidecarFiles, videoProxySidecars, index };
    await this.walkDir(STORAGE_DIRS.inbox, this.list(STORAGE_DIRS.inbox), walk);
    phase('walk');
    const owners = await assignSidecars(
      seen,
      (relative) => {
        const known = index.byPath.get(relative);
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
    const now = this.ctx.clock();
    const changes: ScanChanges = { inserts: [], updates: [], ready: [] };
    for (const file of seen) {
      const { known } = file;
      const sidecars = file.candidates.length ? owners.sidecars.get(file.relative)! : NONE;
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
          sidecars: [...sidecars],
        };
        changes.inserts.push(asset);
        report.new_assets++;
        continue;
      }
      const sidecarsJson = sidecars.length ? JSON.stringify(sidecars) : '[]';
      const mtime = Math.trunc(file.mtimeMs);
      if (known.phase !== 'discovered') {
        // Past discovery only the sidecar list is kept up to date.
        if (known.sidecars !== sidecarsJson) {
          changes.updates.push({
            uuid: known.uuid,
            size_bytes: known.size_bytes,
            mtime_ms: known.mtime_ms,
            stable_scans: known.stable_scans,
            sidecars: [...sidecars],
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
          sidecars: [...sidecars],
        });
      }
      if (stableScans >= 1 && now - mtime >= stabilityWindowMs) {
        changes.ready.push(known.uuid);
        report.became_ready++;
      }
    }
    phase('compare');
    if (changes.inserts.length || changes.updates.length || changes.ready.length) {
      this.index.drop(); // this scan's own writes move the version: reload next time
      await this.ctx.store.applyScan(changes, this.ctx.flags, now);
    }
    // What did not become an asset, for the operator (GET /ops/ingest/*).
    await this.ctx.store.ops.recordIngestScan({
      unmatched: unmatchedSidecars(sidecarFiles, seen, owners.ambiguous, videoProxySidecars),
      missing: missingInboxAssets(index, seen),
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

  /** One folder's entries; undefined (logged) when it cannot be read. */
  private async list(relDir: string): Promise<Dirent[] | undefined> {
    try {
      return await readdir(path.join(this.ctx.options.storageRoot, relDir), {
        withFileTypes: true,
      });
    } catch (err) {
      this.ctx.logger.warn({ dir: relDir, err: (err as Error).message }, 'cannot read directory');
      return undefined;
    }
  }

  private async walkDir(
    relDir: string,
    listing: Promise<Dirent[] | undefined>,
    walk: Walk,
  ): Promise<void> {
    const { report, media, sidecarFiles, videoProxySidecars, index } = walk;
    const entries = await listing;
    if (!entries) return;
    const absDir = path.join(this.ctx.options.storageRoot, relDir);
    const subdirs: string[] = [];
    const mediaFiles: { name: string; relative: string; mediaType: MediaType }[] = [];
    // This folder's sidecar files by lower-case name: usually none. Media and sidecar extensions
    // never overlap, so only these can be a media file's candidates.
    let sidecarsByLower: Map<string, string> | undefined;
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
      else if (e.isFile()) {
        const mediaType = mediaTypeOf(e.name);
        if (mediaType) mediaFiles.push({ name: e.name, relative, mediaType });
        else if (ALL_SIDECAR_EXTENSIONS.has(extensionOf(e.name))) {
          sidecarFiles.push(relative);
          (sidecarsByLower ??= new Map()).set(e.name.toLowerCase(), relative);
        } else report.unknown_files++;
      } else this.skip(report, relative, 'not a regular file or folder (FIFO, socket or device)');
    }

    const seenFile = (
      f: (typeof mediaFiles)[number],
      known: ScanIndexEntry | undefined,
      size: number,
      mtimeMs: number,
    ) => {
      report.files_seen++;
      let candidates: string[] | undefined;
      if (sidecarsByLower) {
        const base = baseNameOf(f.name).toLowerCase();
        for (const ext of sidecarExtensions(f.mediaType, videoProxySidecars)) {
          const sidecar = sidecarsByLower.get(`${base}.${ext}`);
          if (sidecar !== undefined) (candidates ??= []).push(sidecar);
        }
      }
      media.push({
        relative: f.relative,
        name: f.name,
        size,
        mtimeMs,
        candidates: candidates ?? NONE,
        known,
      });
    };
    // Past discovery, size and mtime are not compared any more: readdir said it is a regular
    // file, the index has the rest. Only new and DISCOVERED files are lstat'ed.
    const toStat: { f: (typeof mediaFiles)[number]; known: ScanIndexEntry | undefined }[] = [];
    const knownHere = index.inFolder(relDir);
    for (const f of mediaFiles) {
      const known = knownHere?.get(f.name);
      if (known && known.phase !== 'discovered')
        seenFile(f, known, known.size_bytes, known.mtime_ms);
      else toStat.push({ f, known });
    }
    for (let i = 0; i < toStat.length; i += STAT_BATCH) {
      const batch = toStat.slice(i, i + STAT_BATCH);
      const stats = await Promise.all(
        batch.map(({ f }) => lstat(path.join(absDir, f.name)).catch(() => undefined)),
      );
      batch.forEach(({ f, known }, j) => {
        const st = stats[j];
        if (!st?.isFile()) return; // gone, or swapped for a link since readdir
        seenFile(f, known, st.size, st.mtimeMs);
      });
    }
    // Subfolders are listed a few ahead (readdir runs on libuv's threads while this one sorts
    // the folder before), and walked in order, so a scan's findings keep their order.
    const listings = subdirs.slice(0, LIST_AHEAD).map((d) => this.list(d));
    for (let i = 0; i < subdirs.length; i++) {
      if (i + LIST_AHEAD < subdirs.length) listings.push(this.list(subdirs[i + LIST_AHEAD]!));
      await this.walkDir(subdirs[i]!, listings[i]!, walk);
    }
  }
}
