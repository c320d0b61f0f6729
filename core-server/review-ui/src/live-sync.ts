// Keeps the review page live without reloads: every few seconds one cheap request asks Core for
// the assets changed since the newest change we know (`GET /assets?sort=-updated_at`, usually
// one short page, empty when nothing moved), and hands them to the page, which merges them in
// place (selection and scroll stay). A full re-list runs now and then as a safety net.
import type { AssetQuery, ReviewApi } from './api-client.js';
import type { AssetSummary } from './review-types.js';

export class LiveSync {
  private timer: number | undefined;
  private watermark = '';
  private lastFull = Date.now();
  private running = false;

  constructor(
    private readonly api: ReviewApi,
    private readonly query: () => Omit<AssetQuery, 'states'>,
    private readonly readToken: () => number,
    private readonly onChanged: (items: AssetSummary[], token: number) => void,
    private readonly onFullRefresh: () => Promise<void>,
    /** Each tick, for what revisions do not show (e.g. which job an agent is running now). */
    private readonly onTick: () => void = () => {},
    private readonly intervalMs = 2000,
    private readonly fullEveryMs = 60_000,
  ) {}

  /** Starts (or restarts) from the newest change among `known`. */
  start(known: AssetSummary[]): void {
    this.stop();
    this.watermark = newest(known, '');
    this.lastFull = Date.now();
    this.timer = window.setInterval(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Remembers our own writes' timestamps so the next poll does not fetch them again. */
  saw(items: AssetSummary[]): void {
    this.watermark = newest(items, this.watermark);
  }

  async tick(): Promise<void> {
    if (this.running || document.hidden) return;
    this.running = true;
    this.onTick();
    try {
      if (Date.now() - this.lastFull > this.fullEveryMs) {
        this.lastFull = Date.now();
        await this.onFullRefresh();
        return;
      }
      const token = this.readToken();
      const changed = await this.api.listChangedSince(this.watermark, this.query());
      if (changed.length) {
        this.watermark = newest(changed, this.watermark);
        this.onChanged(changed, token);
      }
    } catch {
      // Core unreachable for a moment: the next tick tries again (401 is handled by the client).
    } finally {
      this.running = false;
    }
  }
}

function newest(items: AssetSummary[], floor: string): string {
  let max = floor;
  for (const a of items) {
    const t = a.updated_at ?? a.created_at;
    if (t > max) max = t;
  }
  return max;
}
