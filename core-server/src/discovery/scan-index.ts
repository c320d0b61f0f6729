// The scanner's view of every known asset, kept in memory between scans: loading 100,000 rows
// was a third of a settled library's rescan. It is reused only while the store's scan index
// version (moved by triggers, in the same transaction, on every change by any writer: see
// store/scan-index-sql.ts) is the one read before it was loaded. Read first, so a change
// committed during the load shows up as a new version at the next scan.
import type { CoreStore, ScanIndexEntry } from '../store/core-store.js';
import { STORAGE_DIRS } from '../storage/storage-marker.js';

const INBOX_PREFIX = `${STORAGE_DIRS.inbox}/`;

/** True for an asset that the INBOX walk should find a file for. */
export const expectedInInbox = (e: ScanIndexEntry | undefined): boolean =>
  e !== undefined && e.phase !== 'purged' && e.relative_path.startsWith(INBOX_PREFIX);

export class ScanIndex {
  readonly byPath: ReadonlyMap<string, ScanIndexEntry>;
  /** How many assets are expected in INBOX (the "missing" count starts from it). */
  readonly expectedInInbox: number;
  /** INBOX assets by folder, then by file name: the walk looks names up as readdir gives them. */
  private readonly byFolder = new Map<string, Map<string, ScanIndexEntry>>();

  constructor(entries: readonly ScanIndexEntry[]) {
    this.byPath = new Map(entries.map((e) => [e.relative_path, e]));
    let expected = 0;
    for (const e of entries) {
      if (!e.relative_path.startsWith(INBOX_PREFIX)) continue;
      if (expectedInInbox(e)) expected++;
      const slash = e.relative_path.lastIndexOf('/');
      const folder = e.relative_path.slice(0, slash);
      let names = this.byFolder.get(folder);
      if (!names) this.byFolder.set(folder, (names = new Map()));
      names.set(e.relative_path.slice(slash + 1), e);
    }
    this.expectedInInbox = expected;
  }

  /** The known assets of one folder (`INBOX/day1`), by file name. */
  inFolder(folder: string): ReadonlyMap<string, ScanIndexEntry> | undefined {
    return this.byFolder.get(folder);
  }
}

export class ScanIndexCache {
  private cached: { version: number; index: ScanIndex } | undefined;

  constructor(private readonly store: Pick<CoreStore, 'scanIndexVersion' | 'loadScanIndex'>) {}

  async current(): Promise<ScanIndex> {
    const version = await this.store.scanIndexVersion();
    if (this.cached?.version === version) return this.cached.index;
    const index = new ScanIndex(await this.store.loadScanIndex());
    this.cached = { version, index };
    return index;
  }

  /** Before the scanner's own writes: they move the version, the next scan reloads. */
  drop(): void {
    this.cached = undefined;
  }
}
