// GET /ops/readiness (docs/operations.md): can this Core serve? Three checks — the database
// answers, the storage root still carries this storage's marker (an unmounted NAS does not), and
// discovery has scanned recently (by whichever replica scans; the time is read from the store).
//  * The database failing is `down`.
//  * The storage marker failing is `degraded` while Core keeps retrying on its own (the marker is
//    re-read on every probe) for at most MAX_SELF_HEALING_SECONDS; still failing after that, it
//    is `down`, so a load balancer stops sending traffic to a replica that cannot reach the files.
//  * Discovery being late is `degraded`, never `down`: it is one leader's background work, shared
//    by every replica, and taking them all out of rotation for it would stop the service.
import type { CoreContext } from './core-context.js';
import { readStorageId } from '../storage/storage-marker.js';

/** The contract's fixed auto-repair window. */
export const MAX_SELF_HEALING_SECONDS = 300;

export interface ReadinessCheck {
  name: 'database' | 'storage_marker' | 'discovery_scan';
  status: 'ok' | 'fail';
  message: string;
}

export interface ReadinessSnapshot {
  status: 'ok' | 'degraded' | 'down';
  self_healing: {
    active: boolean;
    deadline_at: string | null;
    max_self_healing_seconds: typeof MAX_SELF_HEALING_SECONDS;
  };
  checks: ReadinessCheck[];
}

/** Discovery is late after this many scan intervals without a recorded scan (plus slack). */
const LATE_AFTER_INTERVALS = 3;
const LATE_SLACK_MS = 30_000;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class ReadinessProbe {
  /** When the storage marker started failing (continuously); undefined while it passes. */
  private failingSinceMs: number | undefined;
  private readonly startedAtMs: number;

  constructor(private readonly ctx: CoreContext) {
    this.startedAtMs = ctx.clock();
  }

  async check(): Promise<ReadinessSnapshot> {
    const nowMs = this.ctx.clock();
    const database = await this.database();
    const marker = await this.storageMarker();
    const discovery = await this.discovery(nowMs, database);
    const criticalFailing = marker.status === 'fail';
    if (!criticalFailing) this.failingSinceMs = undefined;
    else this.failingSinceMs ??= nowMs;
    const deadlineMs =
      this.failingSinceMs === undefined
        ? undefined
        : this.failingSinceMs + MAX_SELF_HEALING_SECONDS * 1000;
    const healing = deadlineMs !== undefined && nowMs < deadlineMs;
    const status =
      database.status === 'fail' || (criticalFailing && !healing)
        ? 'down'
        : criticalFailing || discovery.status === 'fail'
          ? 'degraded'
          : 'ok';
    return {
      status,
      self_healing: {
        active: healing,
        deadline_at: healing ? new Date(deadlineMs).toISOString() : null,
        max_self_healing_seconds: MAX_SELF_HEALING_SECONDS,
      },
      checks: [database, marker, discovery],
    };
  }

  private async database(): Promise<ReadinessCheck> {
    try {
      await this.ctx.store.ops.ping();
      return { name: 'database', status: 'ok', message: 'the database answers' };
    } catch (err) {
      return {
        name: 'database',
        status: 'fail',
        message: `the database does not answer: ${errorText(err)}`,
      };
    }
  }

  private async storageMarker(): Promise<ReadinessCheck> {
    const { storageRoot, storageId } = this.ctx.options;
    const name = 'storage_marker';
    try {
      const found = await readStorageId(storageRoot);
      if (found === storageId) {
        return {
          name,
          status: 'ok',
          message: `the storage root carries the marker of "${storageId}"`,
        };
      }
      return {
        name,
        status: 'fail',
        message:
          found === undefined
            ? 'the storage root has no .retaia marker: is the volume mounted? Core touches no file until it is back'
            : `the storage root now belongs to storage "${found}", not "${storageId}": another volume is mounted there`,
      };
    } catch (err) {
      return { name, status: 'fail', message: `cannot read the storage marker: ${errorText(err)}` };
    }
  }

  private async discovery(nowMs: number, database: ReadinessCheck): Promise<ReadinessCheck> {
    const name = 'discovery_scan';
    const intervalMs = this.ctx.options.scanIntervalMs;
    if (intervalMs === 0) {
      return { name, status: 'ok', message: 'periodic discovery is off (scan interval 0)' };
    }
    if (database.status === 'fail') {
      return { name, status: 'fail', message: 'unknown: the database does not answer' };
    }
    const lateAfterMs = LATE_AFTER_INTERVALS * intervalMs + LATE_SLACK_MS;
    const last_scan_at = await this.ctx.store.ops.lastIngestScanAt();
    const sinceMs = last_scan_at === null ? undefined : nowMs - Date.parse(last_scan_at);
    if (sinceMs === undefined) {
      return nowMs - this.startedAtMs <= lateAfterMs
        ? { name, status: 'ok', message: 'the first scan has not finished yet' }
        : { name, status: 'fail', message: 'no discovery scan has ever finished; see the log' };
    }
    const seconds = Math.round(sinceMs / 1000);
    return sinceMs <= lateAfterMs
      ? { name, status: 'ok', message: `last scan finished ${seconds} s ago` }
      : {
          name,
          status: 'fail',
          message: `last scan finished ${seconds} s ago (every ${Math.round(intervalMs / 1000)} s expected); see the log for scan errors`,
        };
  }
}
