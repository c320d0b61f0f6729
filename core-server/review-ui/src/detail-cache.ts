// Asset details for the rows on screen (folder path, processing progress), fetched lazily with
// a small concurrency limit and kept per revision: a newer ETag makes the entry stale.
import type { ReviewApi } from './api-client.js';
import type { AssetDetail } from './review-types.js';

export class DetailCache {
  private readonly cache = new Map<string, { etag: string; detail: AssetDetail }>();
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private active = 0;

  constructor(
    private readonly api: ReviewApi,
    private readonly currentEtag: (uuid: string) => string | undefined,
    private readonly onLoaded: (uuid: string, detail: AssetDetail) => void,
    private readonly concurrency = 3,
  ) {}

  peek(uuid: string, etag: string): AssetDetail | undefined {
    const hit = this.cache.get(uuid);
    return hit && hit.etag === etag ? hit.detail : undefined;
  }

  put(uuid: string, etag: string, detail: AssetDetail): void {
    this.cache.set(uuid, { etag, detail });
  }

  want(uuid: string): void {
    const etag = this.currentEtag(uuid);
    if (!etag || this.peek(uuid, etag) || this.queued.has(uuid)) return;
    this.queued.add(uuid);
    this.queue.push(uuid);
    this.pump();
  }

  private pump() {
    while (this.active < this.concurrency && this.queue.length) {
      const uuid = this.queue.shift()!;
      this.active++;
      void this.api
        .getAsset(uuid)
        .then(({ detail, etag }) => {
          this.put(uuid, etag, detail);
          this.onLoaded(uuid, detail);
        })
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          this.queued.delete(uuid);
          this.pump();
        });
    }
  }
}
