// Runs one claimed job end to end (docs/architecture.md, "One job, start to finish"): resolve the source
// through the mount + marker, private temp dir, processor beside a LeaseKeeper, upload derived
// files, submit — or fail with the right `retryable`. Nothing is submitted once the lease is
// lost. The temp dir is always removed.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  mediaTypeFromExtension,
  type ClaimedJob,
  type DerivedManifestEntry,
  type JobSubmitRequest,
  type MediaType,
} from '@retaia/protocol';
import { resolveSourcePath } from '../config/storage-mount.js';
import { isLeaseLost } from '../core-api/core-api-errors.js';
import { withCoreCallLogger, type CoreClient } from '../core-api/core-client.js';
import { uploadDerivedFile } from '../core-api/derived-uploader.js';
import { ProcessingError, type Processor, type ProcessorOutput } from '../processing/processor.js';
import type { AgentLogger } from './agent-logger.js';
import { classifyJobFailure, type JobFailure } from './job-failure.js';
import type { CurrentJobView, JobHistoryEntry, JobOutcome } from './control-protocol.js';
import { LeaseKeeper, LeaseLostSignal } from './lease-keeper.js';

export class ShutdownSignal extends Error {
  constructor() {
    super('the daemon is shutting down');
    this.name = 'ShutdownSignal';
  }
}

export interface JobRunnerDeps {
  client: CoreClient;
  processor: Processor;
  storageMounts: Readonly<Record<string, string>>;
  logger: AgentLogger;
  heartbeatIntervalMs: number;
  featureFlags: Record<string, boolean>;
  /** Parent dir for per-job temp dirs (default: OS temp dir). */
  workRoot?: string;
  /** Aborts every Core call left (the failure report included) when a shutdown's time is up. */
  finalSignal?: AbortSignal;
  onProgress(view: CurrentJobView): void;
}

function mediaTypeOf(job: ClaimedJob): MediaType | undefined {
  const caps = job.required_capabilities.join(' ');
  if (caps.includes('.video@')) return 'VIDEO';
  if (caps.includes('.audio@') || caps.includes('audio.waveform') || caps.includes('speech.'))
    return 'AUDIO';
  if (caps.includes('.photo@')) return 'PHOTO';
  return mediaTypeFromExtension(job.source.original_relative);
}

/** A finished job; `unreported` when Core never heard how it ended (its lease is still held). */
export type JobRunResult = JobHistoryEntry & { unreported?: true };

export function runClaimedJob(
  deps: JobRunnerDeps,
  job: ClaimedJob,
  shutdownSignal: AbortSignal,
): Promise<JobRunResult> {
  const log = deps.logger.child({
    job_id: job.job_id,
    asset_uuid: job.asset_uuid,
    job_type: job.job_type,
  });
  // Every line of a job carries its correlation, including CoreClient's retry warnings.
  return withCoreCallLogger(log, () => runWithLogger(deps, job, shutdownSignal, log));
}

async function runWithLogger(
  deps: JobRunnerDeps,
  job: ClaimedJob,
  shutdownSignal: AbortSignal,
  log: AgentLogger,
): Promise<JobRunResult> {
  const startedAt = new Date();
  const view: CurrentJobView = {
    jobId: job.job_id,
    jobType: job.job_type,
    assetUuid: job.asset_uuid,
    sourceName: basename(job.source.original_relative),
    stage: 'starting',
    startedAt: startedAt.toISOString(),
  };
  deps.onProgress({ ...view });
  const keeper = new LeaseKeeper(deps.client, job, deps.heartbeatIntervalMs, log);
  const signal = AbortSignal.any([keeper.signal, shutdownSignal]);
  let workDir: string | undefined;
  let outcome: JobOutcome = 'completed';
  let failure: JobFailure | undefined;
  let unreported = false;

  const finish = (): JobRunResult => {
    const finishedAt = new Date();
    return {
      jobId: job.job_id,
      jobType: job.job_type,
      assetUuid: job.asset_uuid,
      sourceName: view.sourceName,
      outcome,
      ...(failure
        ? { errorCode: failure.code, message: failure.message, retryable: failure.retryable }
        : {}),
      startedAt: view.startedAt,
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      ...(unreported ? { unreported: true as const } : {}),
    };
  };

  keeper.start();
  log.info(
    { source: job.source.original_relative, fencing_token: job.fencing_token },
    'job claimed, starting',
  );
  try {
    const source = await resolveSourcePath(deps.storageMounts, job.source);
    if (source.missingSidecars.length)
      log.warn({ missing: source.missingSidecars }, 'sidecars listed by Core are missing locally');
    workDir = await mkdtemp(join(deps.workRoot ?? tmpdir(), `retaia-job-`));
    const mediaType = mediaTypeOf(job);
    // A stop or a lost lease may come before the processor starts: it would never see the abort.
    if (signal.aborted) throw signal.reason;
    const output: ProcessorOutput = await deps.processor.run({
      jobId: job.job_id,
      jobType: job.job_type,
      assetUuid: job.asset_uuid,
      ...(mediaType ? { mediaType } : {}),
      sourcePath: source.sourcePath,
      sidecarPaths: source.sidecarPaths,
      workDir,
      signal,
      onProgress: (p) => {
        view.stage = p.stage;
        if (p.percent !== undefined) view.percent = p.percent;
        deps.onProgress({ ...view });
      },
      logger: log,
      featureFlags: deps.featureFlags,
    });
    if (signal.aborted) throw signal.reason;
    const submit = await buildSubmit(deps, job, keeper, output, signal, view);
    if (signal.aborted) throw signal.reason;
    view.stage = 'submitting';
    deps.onProgress({ ...view });
    // No heartbeat may race the submit: one answered after the submit completed the job would
    // read as a lost lease and abort a submit that already succeeded. The keeper never lets the
    // lease run into its last fifth, so the submit still has time; a lease lost meanwhile shows
    // up as STALE_LOCK_TOKEN on the submit itself.
    await keeper.stop();
    if (keeper.lost) throw keeper.signal.reason;
    await deps.client.submitJob(job.job_id, submit, randomUUID(), shutdownSignal);
    log.info({ heartbeats: keeper.heartbeats }, 'job submitted');
  } catch (err) {
    const reason = signal.aborted ? signal.reason : undefined;
    if (keeper.lost || isLeaseLost(err) || reason instanceof LeaseLostSignal) {
      outcome = 'lease_lost';
      failure = {
        code: 'LEASE_LOST',
        message: keeper.lost
          ? String((keeper.signal.reason as Error).message)
          : (err as Error).message,
        retryable: true,
      };
      log.warn({ error: failure.message }, 'lease lost: work abandoned, nothing submitted');
    } else {
      // After the grace period the shutdown aborts the work: tell Core at once (retryable) so it
      // can hand the job to another agent instead of waiting for the lease to expire.
      const shutdown = shutdownSignal.aborted;
      failure = shutdown
        ? {
            code: 'AGENT_SHUTDOWN',
            message: 'the agent stopped before the job finished',
            retryable: true,
          }
        : classifyJobFailure(err);
      outcome = shutdown ? 'aborted' : 'failed';
      log.warn(
        { error_code: failure.code, error: failure.message, retryable: failure.retryable },
        'job failed, reporting to Core',
      );
      try {
        await deps.client.failJob(
          job.job_id,
          {
            ...keeper.lease,
            error_code: failure.code,
            message: failure.message.slice(0, 2000),
            retryable: failure.retryable,
          },
          randomUUID(),
          deps.finalSignal,
        );
      } catch (failErr) {
        if (isLeaseLost(failErr)) outcome = 'lease_lost';
        else unreported = true;
        log.error(
          { error: (failErr as Error).message },
          'could not report the failure to Core; the lease will expire',
        );
      }
    }
  } finally {
    await keeper.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
  return finish();
}

async function buildSubmit(
  deps: JobRunnerDeps,
  job: ClaimedJob,
  keeper: LeaseKeeper,
  output: ProcessorOutput,
  signal: AbortSignal,
  view: CurrentJobView,
): Promise<JobSubmitRequest> {
  const extras = {
    ...(output.warnings?.length ? { warnings: output.warnings } : {}),
    ...(output.metrics ? { metrics: output.metrics } : {}),
  };
  const lease = keeper.lease;
  switch (output.type) {
    case 'facts':
      if (job.job_type !== 'extract_facts') break;
      return {
        ...lease,
        job_type: 'extract_facts',
        result: { facts_patch: output.factsPatch, ...extras },
      };
    case 'transcript':
      if (job.job_type !== 'transcribe_audio') break;
      return {
        ...lease,
        job_type: 'transcribe_audio',
        result: { transcript_patch: output.transcriptPatch, ...extras },
      };
    case 'derived': {
      if (
        job.job_type !== 'generate_preview' &&
        job.job_type !== 'generate_thumbnails' &&
        job.job_type !== 'generate_audio_waveform'
      )
        break;
      const manifest: DerivedManifestEntry[] = [];
      for (const [i, file] of output.files.entries()) {
        view.stage = 'uploading';
        view.percent = Math.round((i / output.files.length) * 100);
        deps.onProgress({ ...view });
        manifest.push(
          await uploadDerivedFile(
            deps.client,
            {
              assetUuid: job.asset_uuid,
              kind: file.kind,
              contentType: file.contentType,
              path: file.path,
            },
            signal,
          ),
        );
        if (signal.aborted) throw signal.reason;
      }
      return {
        ...lease,
        job_type: job.job_type,
        result: { derived_patch: { derived_manifest: manifest }, ...extras },
      };
    }
  }
  throw new ProcessingError(
    'OUTPUT_MISMATCH',
    `processor returned a ${output.type} output for a ${job.job_type} job`,
    false,
  );
}
