// `core-server assets show UUID`: why an asset is where it is — its state and path, each review
// job with its attempts and the agents' failure messages, move/purge locks, unfinished or failed
// file operations and the latest state transitions, then one plain sentence on what it waits for.
import type { AssetRecord, JobClaimRecord, JobRecord } from '../store/records.js';
import type { CoreStore } from '../store/core-store.js';
import { PostgresCoreStore } from '../store/postgres/postgres-core-store.js';
import { SqliteCoreStore } from '../store/sqlite/sqlite-core-store.js';

export interface AssetStory {
  asset: AssetRecord;
  jobs: (JobRecord & { claims: JobClaimRecord[] })[];
  locks: { kind: string; owner: string; expires_at_ms: number }[];
  operations: { operation_id: string; kind: string; step: string; failure?: string; at: string }[];
  transitions: { from_state: string; to_state: string; cause: string; at: string }[];
  maxAttempts: number;
}

type Row = Record<string, unknown>;

type StoryRows = Pick<AssetStory, 'locks' | 'operations' | 'transitions'>;

/** Locks, unfinished file operations and latest transitions: rows no store verb returns. */
async function storyRows(store: CoreStore, uuid: string): Promise<StoryRows> {
  const sql = {
    locks: 'SELECT kind, owner, expires_at_ms FROM asset_locks WHERE asset_uuid = $1',
    operations: `SELECT operation_id, kind, step, entry, created_at FROM move_journal
                 WHERE asset_uuid = $1 AND step <> 'DONE' ORDER BY created_at DESC LIMIT 5`,
    transitions: `SELECT from_state, to_state, cause, at FROM asset_transitions
                  WHERE asset_uuid = $1 ORDER BY id DESC LIMIT 8`,
  };
  let read: (query: string) => Promise<Row[]>;
  if (store instanceof SqliteCoreStore) {
    read = async (query) => store.db.prepare(query.replace('$1', '?')).all(uuid) as Row[];
  } else if (store instanceof PostgresCoreStore) {
    read = async (query) => (await store.pool.query(query, [uuid])).rows as Row[];
  } else {
    throw new Error('assets show needs the SQLite or PostgreSQL store');
  }
  const operations = (await read(sql.operations)).map((r) => {
    const entry = JSON.parse(String(r.entry)) as { failure?: string };
    return {
      operation_id: String(r.operation_id),
      kind: String(r.kind),
      step: String(r.step),
      at: String(r.created_at),
      ...(entry.failure ? { failure: entry.failure } : {}),
    };
  });
  return {
    locks: (await read(sql.locks)) as AssetStory['locks'],
    operations,
    transitions: (await read(sql.transitions)) as AssetStory['transitions'],
  };
}

export async function loadAssetStory(
  store: CoreStore,
  uuid: string,
  maxAttempts: number,
): Promise<AssetStory | undefined> {
  const asset = await store.getAsset(uuid);
  if (!asset) return undefined;
  const jobs = [];
  for (const job of await store.listAssetJobs(uuid)) {
    jobs.push({ ...job, claims: await store.listJobClaims(job.job_id) });
  }
  return { asset, jobs, ...(await storyRows(store, uuid)), maxAttempts };
}

const ago = (iso: string | null, now: number) =>
  iso ? `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s ago` : '';

/** The one-sentence answer to "why is it there?". */
export function whyHere(story: AssetStory, now: number): string {
  const { asset, jobs, locks, operations } = story;
  const live = locks.find((l) => l.expires_at_ms > now);
  if (live) {
    return `a ${live.kind === 'asset_purge_lock' ? 'purge' : 'move'} holds the asset (lock owner ${live.owner}, ${Math.round((live.expires_at_ms - now) / 1000)} s left); an interrupted one is finished at the next start of core-server`;
  }
  const failedOp = operations.find((o) => o.step === 'FAILED');
  const pending = jobs.filter((j) => j.status === 'pending');
  const running = jobs.filter((j) => j.status === 'claimed');
  const failed = jobs.filter((j) => j.status === 'failed');
  switch (asset.state) {
    case 'DISCOVERED':
      return `waiting for the file to stop changing: it becomes READY once two consecutive scans see the same size and its modification time is older than the stability window (same size seen on ${asset.stable_scans} rescan(s) so far)`;
    case 'READY':
    case 'PROCESSING_REVIEW':
      if (running.length)
        return `an agent is working on it: ${running.map((j) => `${j.job_type} by ${j.claimed_by}`).join(', ')}`;
      if (pending.length)
        return `waiting for an agent that can run ${pending.map((j) => `${j.job_type} (needs ${j.required_capabilities.join(', ') || 'nothing special'}${j.feature_flag ? `, flag ${j.feature_flag}` : ''})`).join('; ')} — check \`agents list\` and that an agent is running`;
      if (failed.length) return `review jobs failed for good: ${failureText(failed)}`;
      return 'its review jobs are being planned';
    case 'REVIEW_PENDING_PROFILE':
      return 'a human must choose a processing profile (audio_music or audio_voice) on the review page';
    case 'PROCESSED':
    case 'DECISION_PENDING':
      return failed.length
        ? `processing failed (${failureText(failed)}); a human can Reject it, Keep it anyway, or Reprocess it`
        : 'processed; waiting for a human to Keep or Reject it on the review page';
    case 'DECIDED_KEEP':
    case 'DECIDED_REJECT':
      return failedOp
        ? `the decision could not be applied: ${failedOp.failure ?? 'see the operation below'}`
        : 'decided; the files move when the decisions are applied (Apply on the review page, or POST /ops/decisions/apply)';
    case 'ARCHIVED':
      return 'kept and moved to ARCHIVE; nothing pending';
    case 'REJECTED':
      return 'rejected and moved to REJECTS; it can be purged or reopened';
    case 'PURGED':
      return 'purged: its files are deleted, only this record remains';
  }
}

function failureText(failed: JobRecord[]): string {
  return failed
    .map(
      (j) =>
        `${j.job_type}: ${j.last_error_message?.trim() || j.last_error_code || 'no reason given'}`,
    )
    .join('; ');
}

/** The whole report as text lines. */
export function describeAssetStory(story: AssetStory, now = Date.now()): string[] {
  const { asset } = story;
  const lines = [
    `${asset.name}  (${asset.uuid})`,
    `state      ${asset.state} — ${whyHere(story, now)}`,
    `path       ${asset.relative_path}${asset.sidecars.length ? `  + sidecars ${asset.sidecars.join(', ')}` : ''}`,
    `media      ${asset.media_type}, profile ${asset.profile}, ${asset.size_bytes} bytes`,
  ];
  if (asset.path_history.length) lines.push(`moved from ${asset.path_history.join(' → ')}`);
  lines.push('', story.jobs.length ? 'jobs' : 'jobs       none planned');
  for (const j of story.jobs) {
    lines.push(
      `  ${j.job_type.padEnd(22)} ${j.status.padEnd(9)} attempts ${j.attempts}/${story.maxAttempts}${j.claimed_by && j.status === 'claimed' ? `  held by ${j.claimed_by}` : ''}`,
    );
    for (const c of j.claims) {
      const how = c.outcome ?? 'running';
      const msg = c.message ? ` — ${c.message}` : '';
      const code = c.error_code
        ? ` [${c.error_code}${c.retryable === false ? ', not retryable' : ''}]`
        : '';
      lines.push(
        `    claim #${c.fencing_token} by ${c.agent_id} ${ago(c.claimed_at, now)}: ${how}${code}${msg}`,
      );
    }
  }
  for (const l of story.locks) {
    const left = Math.round((l.expires_at_ms - now) / 1000);
    lines.push(`lock       ${l.kind} by ${l.owner}, ${left > 0 ? `${left} s left` : 'expired'}`);
  }
  for (const o of story.operations) {
    lines.push(
      `operation  ${o.kind} ${o.operation_id} at step ${o.step} (${o.at})${o.failure ? `: ${o.failure}` : ''}`,
    );
  }
  if (story.transitions.length) lines.push('', 'latest transitions');
  for (const t of story.transitions) {
    lines.push(`  ${t.at}  ${t.from_state} → ${t.to_state}  (${t.cause})`);
  }
  return lines;
}
