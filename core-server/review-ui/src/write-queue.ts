// Ordered human writes. Every keystroke's PATCH/POST joins one queue and runs after the previous
// one, with the asset's ETag as of that moment — our own previous write's ETag when we just wrote
// the same asset — so fast keys never drop a decision nor trip over their own If-Match. A 412 can
// then only mean someone else changed the asset (docs/review-page.md).
export interface WriteResult<T> {
  etag: string | null;
  value: T;
}

export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly etags = new Map<string, string>();
  /** Writes queued or running per asset: reads must not overwrite a newer ETag meanwhile. */
  private readonly inFlight = new Map<string, number>();
  /** Global clock of ended writes; per asset, the clock value when its last write ended. */
  private clock = 0;
  private readonly lastWriteEnd = new Map<string, number>();
  private waiting = 0;

  constructor(private readonly onBusyChange: (pending: number) => void = () => {}) {}

  /** A token to take before a read (list, poll, detail) and hand back with what it answered. */
  readToken(): number {
    return this.clock;
  }

  /**
   * Whether a read taken at `token` may replace what we know of the asset: not while a write of
   * ours is queued or running, nor when one ended after the read started (the read is older).
   */
  isFresh(uuid: string, token: number): boolean {
    if ((this.inFlight.get(uuid) ?? 0) > 0) return false;
    return (this.lastWriteEnd.get(uuid) ?? -1) <= token;
  }

  /** Adopts an ETag read from Core when the read is fresh. */
  noteRead(uuid: string, etag: string | null | undefined, token: number): void {
    if (etag && this.isFresh(uuid, token)) this.etags.set(uuid, etag);
  }

  /** Whether writes of the asset are still queued or running. */
  hasPending(uuid: string): boolean {
    return (this.inFlight.get(uuid) ?? 0) > 0;
  }

  etagOf(uuid: string): string | undefined {
    return this.etags.get(uuid);
  }

  get pending(): number {
    return this.waiting;
  }

  /** Queues one write; `task` gets the asset's ETag at run time and returns the new one. */
  run<T>(uuid: string, task: (etag: string) => Promise<WriteResult<T>>): Promise<T> {
    this.inFlight.set(uuid, (this.inFlight.get(uuid) ?? 0) + 1);
    this.waiting++;
    this.onBusyChange(this.waiting);
    const result = this.tail.then(async () => {
      try {
        const { etag, value } = await task(this.etags.get(uuid) ?? '');
        if (etag) this.etags.set(uuid, etag);
        return value;
      } finally {
        this.inFlight.set(uuid, (this.inFlight.get(uuid) ?? 1) - 1);
        this.lastWriteEnd.set(uuid, ++this.clock);
        this.waiting--;
        this.onBusyChange(this.waiting);
      }
    });
    // The queue continues after a failed write: each keystroke stands on its own.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Sets the ETag Core reported with a 412 (someone else's revision is now the base). */
  rebase(uuid: string, etag: string | undefined): void {
    if (etag) this.etags.set(uuid, etag);
  }

  /** Resolves when every queued write has ended. */
  async drain(): Promise<void> {
    while (this.waiting > 0) await this.tail;
  }
}
