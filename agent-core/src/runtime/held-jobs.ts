// The leases this agent holds, on disk (`<dataDir>/held-jobs.json`). A daemon killed without a
// chance to hand its jobs back (kill -9, power loss) leaves them here; the next process of the
// same agent hands them back to Core as soon as it has registered, so the jobs run again at once
// instead of waiting for their leases to expire.
import { readFile, rename, writeFile } from 'node:fs/promises';

export interface HeldJob {
  jobId: string;
  lockToken: string;
  fencingToken: number;
  claimedAt: string;
}

export class HeldJobs {
  private jobs = new Map<string, HeldJob>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  /**
   * The jobs a previous process left behind (an unreadable file counts as none). Merged into what
   * this process already holds, so a late load never forgets a lease recorded meanwhile.
   */
  async load(): Promise<HeldJob[]> {
    let list: unknown;
    try {
      list = JSON.parse(await readFile(this.path, 'utf8'));
    } catch {
      return [];
    }
    const left = (Array.isArray(list) ? (list as HeldJob[]) : []).filter(
      (j) => typeof j?.jobId === 'string' && typeof j.lockToken === 'string',
    );
    for (const j of left) if (!this.jobs.has(j.jobId)) this.jobs.set(j.jobId, j);
    return left;
  }

  add(job: HeldJob): Promise<void> {
    this.jobs.set(job.jobId, job);
    return this.save();
  }

  remove(jobId: string): Promise<void> {
    if (!this.jobs.delete(jobId)) return this.writing;
    return this.save();
  }

  /** Writes are serialised and atomic (temp file + rename): a kill never leaves half a file. */
  private save(): Promise<void> {
    const body = JSON.stringify([...this.jobs.values()]);
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        const tmp = `${this.path}.tmp`;
        await writeFile(tmp, body, { mode: 0o600 });
        await rename(tmp, this.path);
      });
    return this.writing;
  }
}
