// Persistent, bounded job history: one JSON line per finished job in `<dataDir>/job-history.jsonl`.
// The file is compacted back to `maxEntries` lines when it grows to twice that.
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JobHistoryEntry } from './control-protocol.js';

export class JobHistory {
  private entries: JobHistoryEntry[] = [];
  private linesOnDisk = 0;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly filePath: string,
    readonly maxEntries = 200,
  ) {}

  async load(): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const lines = text.split('\n').filter(Boolean);
    this.linesOnDisk = lines.length;
    const parsed: JobHistoryEntry[] = [];
    for (const line of lines) {
      try {
        parsed.push(JSON.parse(line) as JobHistoryEntry);
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    this.entries = parsed.slice(-this.maxEntries);
  }

  /** Most recent first. */
  list(limit = this.maxEntries): JobHistoryEntry[] {
    return this.entries.slice(-limit).reverse();
  }

  add(entry: JobHistoryEntry): Promise<void> {
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries)
      this.entries.splice(0, this.entries.length - this.maxEntries);
    this.writing = this.writing.then(() => this.persist(entry)).catch(() => undefined);
    return this.writing;
  }

  private async persist(entry: JobHistoryEntry): Promise<void> {
    await mkdir(dirname(this.filePath), { recursive: true });
    if (this.linesOnDisk + 1 >= this.maxEntries * 2) {
      const tmp = `${this.filePath}.tmp`;
      await writeFile(tmp, this.entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      await rename(tmp, this.filePath);
      this.linesOnDisk = this.entries.length;
      return;
    }
    await appendFile(this.filePath, JSON.stringify(entry) + '\n');
    this.linesOnDisk += 1;
  }
}
