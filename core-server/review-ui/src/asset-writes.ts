// Every human write of the review page goes through here: queued in keystroke order on the
// WriteQueue (each with the ETag the previous write returned), confirmed back to the page, or
// refused with a message in human words — a 412 names the asset's current state (from the
// contract's `details.current_state`) and re-bases on `details.current_revision_etag`.
import { ApiError, type AssetPatch, type LoadedAsset, type ReviewApi } from './api-client.js';
import { openPurgeDialog } from './purge-dialog.js';
import { STATE_LABEL } from './review-tabs.js';
import type { AssetSummary } from './review-types.js';
import { toast } from './toast.js';
import type { WriteQueue } from './write-queue.js';

export interface WriteHost {
  /** Core accepted a write: show its answer. */
  landed(l: LoadedAsset, then?: (l: LoadedAsset) => void): void;
  /** A write was refused: go back to Core's truth for that asset. */
  resync(uuid: string): Promise<void>;
  showError(err: unknown): void;
}

export class AssetWrites {
  constructor(
    private readonly api: ReviewApi,
    private readonly queue: WriteQueue,
    private readonly host: WriteHost,
  ) {}

  patch(s: AssetSummary, patch: AssetPatch, label: string, then?: (l: LoadedAsset) => void) {
    return this.queue
      .run(s.uuid, async (etag) => {
        const l = await this.api.patchAsset(s.uuid, etag || s.revision_etag || '', patch);
        return { etag: l.etag, value: l };
      })
      .then((l) => this.host.landed(l, then))
      .catch((err: unknown) => this.refused(s, label, err));
  }

  /** Reopen, reprocess (also "Retry" of a failed asset). */
  mutate(s: AssetSummary, kind: 'reopen' | 'reprocess', done: string): void {
    void this.queue
      .run(s.uuid, async (etag) => {
        const tag = etag || s.revision_etag || '';
        const l =
          kind === 'reopen'
            ? await this.api.reopen(s.uuid, tag)
            : await this.api.reprocess(s.uuid, tag);
        return { etag: l.etag, value: l };
      })
      .then((l) => {
        toast(done, 'ok');
        this.host.landed(l);
      })
      .catch((err: unknown) => this.refused(s, kind, err));
  }

  /** Preview, typed confirmation, then the purge; true when the asset is gone. */
  async purge(s: AssetSummary): Promise<boolean> {
    try {
      const preview = await this.api.purgePreview(s.uuid);
      if (!(await openPurgeDialog(s.name ?? s.uuid, preview))) return false;
      await this.queue.run(s.uuid, async (etag) => {
        await this.api.purge(s.uuid, etag || s.revision_etag || '');
        return { etag: null, value: undefined };
      });
      toast(`Purged “${s.name}”`, 'warn');
      return true;
    } catch (err) {
      await this.refused(s, 'purge', err);
      return false;
    }
  }

  private async refused(s: AssetSummary, label: string, err: unknown) {
    const name = s.name ?? s.uuid;
    if (err instanceof ApiError && err.status === 412) {
      const d = err.details ?? {};
      this.queue.rebase(s.uuid, d.current_revision_etag as string | undefined);
      const state = d.current_state as AssetSummary['state'] | undefined;
      const now = state ? ` (now ${STATE_LABEL[state] ?? state})` : '';
      toast(`“${name}” was changed by someone else${now}. Check it and ${label} again.`, 'warn');
    } else if (err instanceof ApiError && err.status === 409) {
      toast(`Cannot ${label} “${name}”: ${err.message}`, 'error');
    } else this.host.showError(err);
    await this.host.resync(s.uuid);
  }
}
