// Reads Core's own records to prove what happened to every job: completed exactly once, and
// each asset published exactly one file per derived kind (thumbs: one ordered set).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@retaia/protocol/testing/wait-for.js';
import type { System } from './system.js';

export interface JobAudit {
  jobs: number;
  completed: number;
  failed: number;
  completedTwice: string[];
  claimsByAgent: Record<string, number>;
  outcomes: Record<string, number>;
}

export async function auditJobs(sys: System): Promise<JobAudit> {
  const store = sys.server.context.store;
  const audit: JobAudit = {
    jobs: 0,
    completed: 0,
    failed: 0,
    completedTwice: [],
    claimsByAgent: {},
    outcomes: {},
  };
  for (const asset of await store.listAssets({ limit: 100_000, offset: 0 })) {
    for (const job of await store.listAssetJobs(asset.uuid)) {
      audit.jobs++;
      if (job.status === 'completed') audit.completed++;
      if (job.status === 'failed') audit.failed++;
      const claims = await store.listJobClaims(job.job_id);
      for (const c of claims) {
        audit.claimsByAgent[c.agent_id] = (audit.claimsByAgent[c.agent_id] ?? 0) + 1;
        audit.outcomes[c.outcome ?? 'open'] = (audit.outcomes[c.outcome ?? 'open'] ?? 0) + 1;
      }
      if (claims.filter((c) => c.outcome === 'completed').length > 1)
        audit.completedTwice.push(job.job_id);
    }
  }
  return audit;
}

/** Files published under .derived/{uuid}/ grouped by kind prefix (e.g. preview_video, thumb). */
export async function publishedKinds(sys: System, uuid: string): Promise<Record<string, number>> {
  const dir = join(sys.storageRoot, '.derived', uuid);
  const out: Record<string, number> = {};
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const kind = f.split('-')[0]!;
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

/**
 * Waits until the asset's derived folder holds exactly `expected` files per kind. Core renames
 * staged uploads into place just after the submit's transaction, so the asset's state can be read
 * a moment before its last files land (the in-process test shares Core's event loop).
 */
export async function waitPublished(
  sys: System,
  uuid: string,
  expected: Record<string, number>,
  timeoutMs = 15_000,
): Promise<void> {
  let seen: Record<string, number> = {};
  await waitFor(
    async () => {
      seen = await publishedKinds(sys, uuid);
      return JSON.stringify(sortKeys(seen)) === JSON.stringify(sortKeys(expected));
    },
    {
      timeoutMs,
      intervalMs: 100,
      what: () => `published ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`,
    },
  );
}

const sortKeys = (o: Record<string, number>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/** Waits until Core holds `expected` assets and none of their jobs is pending or claimed. */
export async function waitJobsFinished(
  sys: System,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  const store = sys.server.context.store;
  let seen = 'nothing read yet';
  await waitFor(
    async () => {
      const assets = await store.listAssets({ limit: 100_000, offset: 0 });
      const jobs = (await Promise.all(assets.map((a) => store.listAssetJobs(a.uuid)))).flat();
      const open = jobs.filter((j) => j.status === 'pending' || j.status === 'claimed').length;
      seen = `${assets.length}/${expected} assets, ${open} open jobs`;
      return assets.length >= expected && jobs.length > 0 && open === 0;
    },
    { timeoutMs, intervalMs: 250, what: () => `every job to finish (${seen})` },
  );
}
