// Which jobs this agent takes and when: polls Core, claims what it may run (processors,
// capabilities, feature flags, valid mounts), runs claimed jobs in parallel up to the allowed
// limit, records held leases (held-jobs.ts) and, on stop, hands unfinished jobs back to Core
// within a bounded time whatever Core does.
import { randomUUID } from 'node:crypto';
import {
  featureFlagFor,
  hasAllCapabilities,
  type ClaimedJob,
  type Job,
  type JobType,
} from '@retaia/protocol';
import type { AgentConfig } from '../config/config-schema.js';
import { validateMount } from '../config/storage-mount.js';
import { CoreApiError, isLeaseLost, AuthRequiredError } from '../core-api/core-api-errors.js';
import type { CoreClient } from '../core-api/core-client.js';
import type { Processor } from '../processing/processor.js';
import type { AgentLogger } from './agent-logger.js';
import type { CurrentJobView } from './control-protocol.js';
import type { CoreConnection } from './core-connection.js';
import type { DaemonEvents } from './daemon-events.js';
import type { HeldJob, HeldJobs } from './held-jobs.js';
import type { JobHistory } from './job-history.js';
import { runClaimedJob, ShutdownSignal, type JobRunResult } from './job-runner.js';
import { AssetBatch, passSiblings, sharedPass } from './asset-batch.js';
import { nextAfterLostRace } from './claim-order.js';

export interface SchedulerDeps {
  connection: CoreConnection;
  processors: Map<JobType, Processor>;
  config(): AgentConfig;
  /** Paused, quiet hours, not enrolled…: no new claims (running jobs go on). */
  mayClaim(): boolean;
  pollMs?: number;
  heartbeatMs: number;
  logger: AgentLogger;
  events: DaemonEvents;
  history: JobHistory;
  heldJobs: HeldJobs;
  workRoot?: string;
  changed(): void;
  /** Draws how far a lost claim race skips ahead in the poll's list (claim-order.ts). */
  random?: () => number;
}

interface RunningJob {
  view: CurrentJobView;
  done: Promise<void>;
  /** The slot it occupies: its own id, or its batch's (a shared pass is one slot). */
  slot: string;
}

/** Resolves after `ms` or when `promise` settles, and never leaves its timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise,
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]).finally(() => clearTimeout(timer));
}

export class JobScheduler {
  private readonly running = new Map<string, RunningJob>();
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  /** Leases a previous process left on disk and not yet handed back (loaded once). */
  private leftovers?: HeldJob[];
  private handingBack?: Promise<void>;
  private stopping = false;
  /** Aborts running work once the grace period is over. */
  private readonly shutdownAbort = new AbortController();
  /** Aborts every remaining Core call (hand-back included) once the hand-back budget is spent. */
  private readonly finalAbort = new AbortController();

  constructor(private readonly deps: SchedulerDeps) {}

  get maxParallelJobs(): number {
    const allowed = this.deps.connection.policy?.max_parallel_jobs_allowed;
    return Math.max(
      1,
      Math.min(this.deps.config().max_parallel_jobs, allowed && allowed > 0 ? allowed : Infinity),
    );
  }

  views(): CurrentJobView[] {
    return [...this.running.values()].map((r) => ({ ...r.view }));
  }

  get runningCount(): number {
    return this.running.size;
  }

  /**
   * Slots in use against max_parallel_jobs: a batch of review jobs sharing one pass (one ffmpeg,
   * asset-batch.ts) counts as one, however many jobs it holds.
   */
  private get usedSlots(): number {
    return new Set([...this.running.values()].map((r) => r.slot)).size;
  }

  private pollPeriodMs(): number {
    if (this.deps.pollMs !== undefined) return this.deps.pollMs;
    return Math.max(5, this.deps.connection.policy?.min_poll_interval_seconds ?? 5) * 1000;
  }

  schedulePoll(ms = this.pollPeriodMs()): void {
    if (this.stopping || !this.deps.connection.registered) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      void this.pollOnce().finally(() => {
        if (!this.pollTimer) this.schedulePoll();
      });
    }, ms);
  }

  clearPoll(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** Registered: hand back what a previous process left, then poll at once. */
  async onRegistered(client: CoreClient): Promise<void> {
    this.leftovers ??= await this.deps.heldJobs.load();
    await this.handBackLeftovers(client);
    this.schedulePoll(0);
  }

  /**
   * Hands back the leases a killed process left on disk. One that could not be handed back (Core
   * unreachable or failing) is tried again on every poll until Core takes it or says the lease
   * is gone, so a hiccup at restart never leaves a job waiting for its lease to expire.
   */
  private handBackLeftovers(client: CoreClient): Promise<void> {
    this.handingBack ??= this.handBackOnce(client).finally(() => (this.handingBack = undefined));
    return this.handingBack;
  }

  private async handBackOnce(client: CoreClient): Promise<void> {
    const pending = this.leftovers ?? [];
    this.leftovers = [];
    for (const held of pending) {
      if (this.running.has(held.jobId)) continue;
      try {
        await client.failJob(
          held.jobId,
          {
            lock_token: held.lockToken,
            fencing_token: held.fencingToken,
            error_code: 'AGENT_RESTARTED',
            message: 'the agent process ended before the job finished; handed back on restart',
            retryable: true,
          },
          randomUUID(),
          this.deps.connection.signal,
        );
        this.deps.logger.info({ job_id: held.jobId }, 'job left by a previous process handed back');
      } catch (err) {
        // Lease already gone (expired, taken, job finished): nothing left to hand back.
        const gone =
          isLeaseLost(err) ||
          (err instanceof CoreApiError && err.status >= 400 && err.status < 500);
        if (!gone) {
          this.deps.logger.warn(
            { job_id: held.jobId, error: (err as Error).message },
            'could not hand back a job left by a previous process; trying again at the next poll',
          );
          this.leftovers.push(held);
          continue;
        }
      }
      await this.deps.heldJobs.remove(held.jobId);
    }
  }

  private canClaim(): boolean {
    return (
      !this.stopping &&
      this.deps.connection.registered &&
      this.deps.mayClaim() &&
      this.usedSlots < this.maxParallelJobs
    );
  }

  /** Why this agent will not take `job` (undefined = it may). */
  private refusal(job: Job, validMounts: Set<string>): string | undefined {
    const policy = this.deps.connection.policy;
    if (this.running.has(job.job_id)) return 'already running';
    if (!this.deps.processors.has(job.job_type)) return 'no processor';
    if (
      !hasAllCapabilities(
        this.deps.connection.effectiveCapabilities,
        job.required_capabilities ?? [],
      )
    )
      return 'missing capability';
    const flag = featureFlagFor(job.job_type);
    if (flag && policy?.feature_flags?.[flag] !== true) return `feature flag ${flag} off`;
    const allowed = policy?.allowed_job_types;
    if (allowed && !allowed.includes(job.job_type)) return 'job type not allowed by Core';
    if (!validMounts.has(job.source?.storage_id))
      return `no valid local mount for storage ${job.source?.storage_id}`;
    return undefined;
  }

  async pollOnce(): Promise<void> {
    const client = this.deps.connection.client;
    if (!client || this.polling || !this.canClaim()) return;
    this.polling = true;
    const signal = this.deps.connection.signal;
    try {
      if (this.leftovers?.length) await this.handBackLeftovers(client);
      const jobs = await client.listJobs(signal);
      const validMounts = new Set<string>();
      const checked = new Set<string>();
      for (let at = 0; at < jobs.length; at++) {
        const job = jobs[at]!;
        if (!this.canClaim()) break;
        const storageId = job.source?.storage_id;
        if (storageId && !checked.has(storageId)) {
          checked.add(storageId);
          const path = this.deps.config().storage_mounts[storageId];
          if (path && (await validateMount(storageId, path)).ok) validMounts.add(storageId);
        }
        const refusal = this.refusal(job, validMounts);
        if (refusal) {
          this.deps.logger.trace({ job_id: job.job_id, reason: refusal }, 'job skipped');
          continue;
        }
        const claimed = await client.claimJob(job.job_id, signal);
        if (!claimed) {
          // Lost the race: skip ahead a random few jobs, or every loser tries the same next one.
          at = nextAfterLostRace(at, this.deps.random) - 1;
          continue;
        }
        await this.recordHeld(claimed);
        // The other review jobs of the same asset join it in one shared pass (one decode).
        const batch = [claimed];
        for (const sibling of passSiblings(job, jobs, this.deps.processors)) {
          if (this.refusal(sibling, validMounts)) continue;
          const also = await client.claimJob(sibling.job_id, signal).catch(() => undefined);
          if (!also) continue;
          await this.recordHeld(also);
          batch.push(also);
        }
        this.startBatch(client, batch);
      }
    } catch (err) {
      if (err instanceof AuthRequiredError) this.deps.connection.onAuthRejected(err.message);
      else if (!signal.aborted)
        this.deps.logger.debug({ error: (err as Error).message }, 'job poll failed');
    } finally {
      this.polling = false;
    }
  }

  /**
   * Puts a lease on disk for the next process before the job runs or shows as running: a kill -9
   * at any later moment leaves it for the restarted daemon to hand back. Costs one small write
   * per claim; the lease clock (seconds to minutes) does not notice.
   */
  private async recordHeld(job: ClaimedJob): Promise<void> {
    await this.deps.heldJobs
      .add({
        jobId: job.job_id,
        lockToken: job.lock_token,
        fencingToken: job.fencing_token,
        claimedAt: new Date().toISOString(),
      })
      .catch((err: Error) =>
        this.deps.logger.warn({ error: err.message }, 'could not record the held job'),
      );
  }

  private startBatch(client: CoreClient, jobs: ClaimedJob[]): void {
    const pass = sharedPass(jobs, this.deps.processors);
    if (!pass) {
      for (const job of jobs) this.startJob(client, job);
      return;
    }
    const batch = new AssetBatch(pass, jobs);
    const slot = `batch:${jobs[0]!.job_id}`;
    this.deps.logger.info(
      { asset_uuid: jobs[0]!.asset_uuid, jobs: jobs.map((j) => j.job_type) },
      'review jobs of one asset claimed together: one shared pass',
    );
    for (const job of jobs) {
      this.startJob(client, job, { processor: batch.processorFor(job.job_id), slot });
      void this.running.get(job.job_id)?.done.then(() => batch.leave(job.job_id));
    }
  }

  private startJob(
    client: CoreClient,
    job: ClaimedJob,
    shared?: { processor: Processor; slot: string },
  ): void {
    const processor = shared?.processor ?? this.deps.processors.get(job.job_type);
    if (!processor) return;
    const entry: RunningJob = {
      view: {
        jobId: job.job_id,
        jobType: job.job_type,
        assetUuid: job.asset_uuid,
        sourceName: job.source.original_relative.split(/[\\/]/).pop() ?? '',
        stage: 'claimed',
        startedAt: new Date().toISOString(),
      },
      done: Promise.resolve(),
      slot: shared?.slot ?? job.job_id,
    };
    this.running.set(job.job_id, entry);
    this.deps.events.notify(
      'job_started',
      'Job started',
      `${job.job_type}: ${entry.view.sourceName}`,
    );
    let lastEmit = 0;
    entry.done = runClaimedJob(
      {
        client,
        processor,
        storageMounts: this.deps.config().storage_mounts,
        logger: this.deps.logger,
        heartbeatIntervalMs: this.deps.heartbeatMs,
        featureFlags: this.deps.connection.policy?.feature_flags ?? {},
        finalSignal: this.finalAbort.signal,
        ...(this.deps.workRoot ? { workRoot: this.deps.workRoot } : {}),
        onProgress: (view) => {
          entry.view = view;
          const now = Date.now();
          if (now - lastEmit >= 250) {
            lastEmit = now;
            this.deps.events.emit({ type: 'job_progress', job: view });
          }
        },
      },
      job,
      this.shutdownAbort.signal,
    ).then((result) => this.onJobFinished(result));
    this.deps.changed();
  }

  private async onJobFinished({ unreported, ...entry }: JobRunResult): Promise<void> {
    this.running.delete(entry.jobId);
    // Core knows how the job ended (or the lease is gone): no lease to hand back any more. An
    // unreported end stays on disk for the next process to hand back.
    if (!unreported) await this.deps.heldJobs.remove(entry.jobId).catch(() => undefined);
    await this.deps.history.add(entry);
    this.deps.events.emit({ type: 'job_finished', entry });
    if (entry.outcome === 'failed') {
      this.deps.events.notify(
        'job_failed',
        'Job failed',
        `${entry.jobType} ${entry.sourceName}: ${entry.message ?? entry.errorCode ?? 'error'}`,
      );
    }
    if (this.running.size === 0 && !this.stopping)
      this.deps.events.notify('all_jobs_done', 'All jobs done', 'The agent is idle');
    this.deps.changed();
    if (!this.stopping) this.schedulePoll(0);
  }

  /**
   * Stops claiming; running jobs get `graceMs` to finish, then are aborted and handed back to
   * Core (failed, retryable) within `handBackMs`. After that every Core call is cut: the stop
   * takes at most grace + hand-back (+ the moment processors need to react to an abort).
   */
  async stop(graceMs: number, handBackMs: number): Promise<void> {
    this.stopping = true;
    this.clearPoll();
    const pending = () => Promise.all([...this.running.values()].map((r) => r.done));
    if (this.running.size) {
      this.deps.logger.info(
        { running: this.running.size, grace_ms: graceMs },
        'stopping: waiting for running jobs',
      );
      await within(pending(), graceMs);
    }
    if (this.running.size) {
      this.shutdownAbort.abort(new ShutdownSignal());
      await within(pending(), handBackMs);
    }
    this.finalAbort.abort(new ShutdownSignal());
    if (this.running.size) await within(pending(), 1000);
    if (this.running.size)
      this.deps.logger.warn(
        { running: [...this.running.keys()] },
        'stopped with jobs still unwinding; their leases are kept on disk for the next start',
      );
  }
}
