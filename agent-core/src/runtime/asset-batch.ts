// Review jobs of one asset claimed together and run as one shared pass (docs/media-engine.md,
// "One decode per asset"). Each member job still runs through runClaimedJob — its own lease,
// heartbeats, temp folder, upload and submit — but its processor is a stand-in that joins the
// batch: the pass starts once every member has either joined (reached its processor) or left
// (ended before, e.g. its source could not be resolved or it was aborted), and each member gets
// its own output or its own failure back.
import type { ClaimedJob, JobType } from '@retaia/protocol';
import {
  PASS_JOB_TYPES,
  passOf,
  type PassJobType,
} from '../processing/asset-pass/pass-registry.js';
import type { ReviewPass } from '../processing/asset-pass/review-pass.js';
import {
  ProcessingAbortedError,
  type Processor,
  type ProcessorContext,
  type ProcessorOutput,
} from '../processing/processor.js';

interface Joined {
  ctx: ProcessorContext;
  resolve(output: ProcessorOutput): void;
  reject(err: unknown): void;
}

export class AssetBatch {
  private readonly waiting: Map<string, PassJobType>;
  private readonly joined = new Map<string, Joined>();
  private started = false;

  constructor(
    private readonly pass: ReviewPass,
    members: readonly ClaimedJob[],
  ) {
    this.waiting = new Map(members.map((j) => [j.job_id, j.job_type as PassJobType]));
  }

  /** The processor member `jobId` runs with (it joins this batch). */
  processorFor(jobId: string): Processor {
    const jobType = this.waiting.get(jobId)!;
    return { jobType, run: (ctx) => this.join(jobId, ctx) };
  }

  /** Member `jobId` has ended; if it never joined, the others no longer wait for it. */
  leave(jobId: string): void {
    if (this.started || this.joined.has(jobId)) return;
    this.waiting.delete(jobId);
    this.maybeStart();
  }

  private join(jobId: string, ctx: ProcessorContext): Promise<ProcessorOutput> {
    return new Promise<ProcessorOutput>((resolve, reject) => {
      if (this.started || !this.waiting.has(jobId)) {
        reject(new Error(`job ${jobId} is not waiting in this batch`));
        return;
      }
      // Aborted while the others are still on their way: leave at once.
      const onAbort = () => {
        if (this.started) return;
        this.joined.delete(jobId);
        this.waiting.delete(jobId);
        reject(new ProcessingAbortedError(ctx.signal.reason));
        this.maybeStart();
      };
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      this.joined.set(jobId, {
        ctx,
        resolve: (o) => {
          ctx.signal.removeEventListener('abort', onAbort);
          resolve(o);
        },
        reject: (e) => {
          ctx.signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      ctx.onProgress({ stage: 'waiting' });
      this.maybeStart();
    });
  }

  private maybeStart(): void {
    if (this.started || this.joined.size === 0 || this.joined.size < this.waiting.size) return;
    this.started = true;
    const byType = new Map<PassJobType, ProcessorContext>();
    const jobOf = new Map<PassJobType, Joined>();
    for (const [jobId, member] of this.joined) {
      const type = this.waiting.get(jobId)!;
      byType.set(type, member.ctx);
      jobOf.set(type, member);
    }
    for (const [type, result] of this.pass.run(byType)) {
      const member = jobOf.get(type)!;
      result.then(member.resolve, member.reject);
    }
  }
}

/**
 * The claimable siblings of `job` that can share its pass: other review job types of the same
 * asset, from the same poll answer, one per type, whose processors join the same pass.
 */
export function passSiblings<J extends { job_id: string; job_type: JobType; asset_uuid: string }>(
  job: J,
  listed: readonly J[],
  processors: ReadonlyMap<JobType, Processor>,
): J[] {
  const pass = passOf(processors.get(job.job_type));
  if (!pass || !PASS_JOB_TYPES.has(job.job_type)) return [];
  const types = new Set<JobType>([job.job_type]);
  const out: J[] = [];
  for (const other of listed) {
    if (other.asset_uuid !== job.asset_uuid || types.has(other.job_type)) continue;
    if (passOf(processors.get(other.job_type)) !== pass) continue;
    types.add(other.job_type);
    out.push(other);
  }
  return out;
}

/** The pass a batch of claimed jobs would share (undefined: run them one by one). */
export function sharedPass(
  jobs: readonly ClaimedJob[],
  processors: ReadonlyMap<JobType, Processor>,
): ReviewPass | undefined {
  const pass = passOf(processors.get(jobs[0]!.job_type));
  return jobs.length > 1 && jobs.every((j) => passOf(processors.get(j.job_type)) === pass)
    ? pass
    : undefined;
}
