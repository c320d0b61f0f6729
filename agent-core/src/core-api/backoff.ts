// Exponential backoff with full jitter (docs/protocol.md#the-agent-loop): delay = random(0, min(cap, base × 2^n)),
// base 2 s, cap 60 s, reset after a success. A server `Retry-After` raises the base and is
// honoured as a minimum. Base, cap and the random source are injectable for tests.
import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  private readonly random: () => number;
  private attempt = 0;
  private raisedBaseMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 2000;
    this.capMs = opts.capMs ?? 60_000;
    this.random = opts.random ?? Math.random;
    this.raisedBaseMs = this.baseMs;
  }

  /** Delay before the next attempt; call once per failed attempt. */
  nextDelayMs(retryAfterMs?: number): number {
    if (retryAfterMs !== undefined && retryAfterMs > this.raisedBaseMs) {
      this.raisedBaseMs = Math.min(retryAfterMs, this.capMs);
    }
    const ceiling = Math.min(this.capMs, this.raisedBaseMs * 2 ** this.attempt);
    this.attempt += 1;
    const jittered = Math.floor(this.random() * ceiling);
    return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
    this.raisedBaseMs = this.baseMs;
  }
}

/** Parses `Retry-After` (seconds or an HTTP date) into ms. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Waits `ms`; an abort rejects with the signal's own reason (timers/promises would wrap it in an
 * AbortError), so callers see why they were stopped.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
}
