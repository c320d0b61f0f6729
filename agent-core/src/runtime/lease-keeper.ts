// Keeps a claimed job's lease alive while its processor runs (docs/protocol.md#the-agent-loop): heartbeat every
// `intervalMs` (30 s by default, lease TTL 120 s). The moment Core says the lease is gone
// (409 STALE_LOCK_TOKEN / 423 LOCK_*), or the lease expires without a successful heartbeat,
// `signal` aborts so the work stops and nothing is submitted afterwards.
import type { ClaimedJob } from '@retaia/protocol';
import { isLeaseLost } from '../core-api/core-api-errors.js';
import type { CoreClient } from '../core-api/core-client.js';

export interface LeaseKeeperLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export class LeaseLostSignal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostSignal';
  }
}

export class LeaseKeeper {
  private readonly controller = new AbortController();
  /** Cuts an in-flight heartbeat on stop(): a silent Core must not hold the job's end. */
  private readonly stopController = new AbortController();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private inFlight?: Promise<void>;
  readonly lease: { lock_token: string; fencing_token: number };
  lockedUntil: number;
  heartbeats = 0;

  constructor(
    private readonly client: CoreClient,
    private readonly job: ClaimedJob,
    private readonly intervalMs: number,
    private readonly logger: LeaseKeeperLogger,
  ) {
    this.lease = { lock_token: job.lock_token, fencing_token: job.fencing_token };
    this.lockedUntil = Date.parse(job.locked_until) || Date.now() + 120_000;
  }

  /** Aborts (with a LeaseLostSignal reason) when the lease is lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  start(): void {
    this.schedule(this.intervalMs);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.lost) return;
    // Never sleep into the lease's last fifth: a retry must still land while the lease holds,
    // and a lease that runs out unrenewed is a lost lease (checked in beat()).
    const untilExpiry = this.lockedUntil - Date.now();
    const delay = untilExpiry <= 0 ? 0 : Math.max(50, Math.min(ms, untilExpiry * 0.8));
    this.timer = setTimeout(() => {
      this.inFlight = this.beat();
    }, delay);
  }

  private markLost(message: string): void {
    if (!this.lost) this.controller.abort(new LeaseLostSignal(message));
  }

  private async beat(): Promise<void> {
    if (this.stopped || this.lost) return;
    if (Date.now() >= this.lockedUntil) {
      this.markLost(`lease of job ${this.job.job_id} expired before a heartbeat got through`);
      return;
    }
    try {
      const res = await this.client.heartbeat(
        this.job.job_id,
        this.lease,
        AbortSignal.any([this.signal, this.stopController.signal]),
      );
      if (this.stopped) return;
      this.heartbeats += 1;
      this.lease.fencing_token = res.fencing_token;
      this.lockedUntil = Date.parse(res.locked_until) || this.lockedUntil;
      this.logger.debug({ locked_until: res.locked_until }, 'lease extended');
      this.schedule(this.intervalMs);
    } catch (err) {
      if (this.stopped) return;
      if (isLeaseLost(err)) {
        this.markLost(err.message);
        return;
      }
      this.logger.warn(
        { error: (err as Error).message },
        'heartbeat failed, retrying before the lease ends',
      );
      this.schedule(Math.max(250, this.intervalMs / 3));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopController.abort();
    await this.inFlight?.catch(() => undefined);
  }
}
