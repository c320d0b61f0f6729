// Longer than most modules on purpose: it is the one place that orders navigation, optimistic
// writes and live merges; its views, model, queue, keymap and sync live in their own files.
// The review screen's conductor: tabs with live counts, the list/grid, the detail pane, the
// keymap, and the ordered write queue. Navigation is immediate (the next asset's header shows
// from the list summary before its detail arrives); decisions are optimistic and queued in
// keystroke order, each PATCH carrying the ETag our previous write returned; live polling merges
// other people's and the agents' changes in place. Views live in asset-list-view / detail-view.
import { ApiError, type AssetPatch, type LoadedAsset, type ReviewApi } from './api-client.js';
import { openApplyDialog } from './apply-dialog.js';
import { AssetListView, folderOf } from './asset-list-view.js';
import { AssetWrites } from './asset-writes.js';
import { DetailCache } from './detail-cache.js';
import { DetailView, type Decision } from './detail-view.js';
import { h } from './dom-builder.js';
import {
  actionFor,
  KEYMAPS,
  saveKeymap,
  savedKeymap,
  type Action,
  type KeymapId,
} from './keymap.js';
import { LiveSync } from './live-sync.js';
import type { MediaAuth } from './media-auth.js';
import {
  AssetModel,
  isFailed,
  LISTED_STATES,
  sortAssets,
  STATE_LABEL,
  TABS,
  type SortKey,
  type Tab,
} from './review-tabs.js';
import type { AssetDetail, AssetSummary } from './review-types.js';
import { openShortcutSheet } from './shortcut-sheet.js';
import { buildToolbar, type Toolbar } from './review-toolbar.js';
import {
  labelOf,
  withFreeTags,
  withLabel,
  withRating,
  type LabelColour,
} from './tag-conventions.js';
import { toast } from './toast.js';
import { WriteQueue } from './write-queue.js';

const DECIDABLE = ['DECISION_PENDING', 'DECIDED_KEEP', 'DECIDED_REJECT'];
const PROCESSING = ['DISCOVERED', 'READY', 'PROCESSING_REVIEW', 'PROCESSED'];
const LABEL_KEYS: Partial<Record<Action, LabelColour>> = {
  label_red: 'red',
  label_yellow: 'yellow',
  label_green: 'green',
  label_blue: 'blue',
  label_purple: 'purple',
};

export class ReviewApp {
  private readonly model = new AssetModel();
  private tab: Tab = TABS[0]!;
  private view: AssetSummary[] = [];
  private current: string | null = null;
  private selected = new Set<string>();
  private anchor: string | null = null;
  private loaded: LoadedAsset | null = null;
  private keymap: KeymapId = savedKeymap();
  private compare = false;
  private query = { q: '', media_type: '', sort: '-created_at' as SortKey };
  private readonly queue = new WriteQueue((n) => this.toolbar.setPending(n));
  private readonly details: DetailCache;
  private readonly list: AssetListView;
  private readonly detail: DetailView;
  private readonly toolbar: Toolbar;
  private readonly live: LiveSync;
  private readonly writes: AssetWrites;

  constructor(
    private readonly root: HTMLElement,
    private readonly api: ReviewApi,
    private readonly media: MediaAuth,
    private readonly onSignOut: () => void,
  ) {
    this.details = new DetailCache(
      api,
      (uuid) => this.model.get(uuid)?.revision_etag ?? undefined,
      (uuid) => {
        const s = this.model.get(uuid);
        if (s) this.list.update(s);
      },
    );
    this.list = new AssetListView(media, this.details, (uuid, ev) => this.activate(uuid, ev));
    this.detail = new DetailView(media, (url) => api.getWaveform(url), {
      decide: (t) => this.decide(t),
      retry: () => this.retry(),
      reopen: () => this.mutate('reopen'),
      reprocess: () => this.mutate('reprocess'),
      purge: () => void this.purge(),
      chooseProfile: (p, then) => this.chooseProfile(p, then),
      rate: (n) => this.editTags((t) => withRating(t, n)),
      label: (c) => this.editTags((t) => withLabel(t, c)),
      saveNotes: (notes) => this.patchCurrent({ notes }, 'save the notes'),
      saveTags: (free) => this.editTags((t) => withFreeTags(t, free)),
      keyLabel: (a) =>
        KEYMAPS[this.keymap].bindings.find((b) => b.action === a)?.keys[0]?.toUpperCase() ?? '',
    });
    this.toolbar = buildToolbar({
      onQuery: (q) => {
        Object.assign(this.query, q);
        void this.reload(this.current ?? undefined);
      },
      onApply: () => void this.applyDecisions(),
      onGrid: () => this.toggleGrid(),
      onHelp: () => this.help(),
      onTheme: () => this.detail.redrawWaveform(),
      onSignOut: () => this.onSignOut(),
      onBulk: (t) => this.decide(t),
      onClearSelection: () => this.setSelection(new Set()),
    });
    this.writes = new AssetWrites(api, this.queue, {
      landed: (l, then) => this.confirmed(l, then),
      resync: (uuid) => this.resync(uuid),
      showError: (err) => this.showError(err),
    });
    this.live = new LiveSync(
      api,
      () => ({ media_type: this.query.media_type || undefined, q: this.query.q || undefined }),
      () => this.queue.readToken(),
      (items, token) => this.merge(items, token),
      () => this.reload(this.current ?? undefined, true),
      () => {
        // A claimed job does not change the asset's revision: re-read the one on screen.
        const s = this.current ? this.model.get(this.current) : undefined;
        if (s && PROCESSING.includes(s.state)) void this.loadDetail(s.uuid, false);
      },
    );
  }

  async start(): Promise<void> {
    this.root.replaceChildren(
      h(
        'div',
        { class: 'app' },
        this.toolbar.header,
        this.toolbar.tabs,
        this.toolbar.bulkBar,
        h('main', { class: 'workspace' }, this.list.el, this.detail.el),
      ),
    );
    this.list.setGrid(localStorage.getItem('retaia.review.grid') === '1');
    document.addEventListener('keydown', this.keyHandler);
    window.addEventListener('resize', this.resizeHandler);
    await this.reload();
  }

  /** Detaches global listeners (the session ended). */
  stop(): void {
    document.removeEventListener('keydown', this.keyHandler);
    window.removeEventListener('resize', this.resizeHandler);
    this.live.stop();
    this.detail.teardown();
  }

  private readonly keyHandler = (ev: KeyboardEvent) => this.onKey(ev);
  private readonly resizeHandler = () => this.detail.redrawWaveform();

  /** Re-lists every listed state (counts are computed client-side from the same listing). */
  async reload(keepUuid?: string, background = false): Promise<void> {
    const token = this.queue.readToken();
    try {
      const { items, truncated } = await this.api.listAssets({
        states: LISTED_STATES,
        ...(this.query.media_type ? { media_type: this.query.media_type } : {}),
        ...(this.query.q ? { q: this.query.q } : {}),
      });
      // Our own queued writes are newer than this listing: keep what we know for those.
      this.model.replaceAll(
        items.map((a) => (this.queue.isFresh(a.uuid, token) ? a : (this.model.get(a.uuid) ?? a))),
      );
      for (const a of items) this.queue.noteRead(a.uuid, a.revision_etag, token);
      if (truncated) toast('Showing the first 5000 assets; refine the search to see more.', 'info');
    } catch (err) {
      this.showError(err);
      return;
    }
    if (background) return this.refreshView(true);
    this.live.start(this.model.all());
    this.selectTab(this.tab, keepUuid);
  }

  /** Live changes: update rows in place, add new ones, keep selection and scroll. */
  private merge(items: AssetSummary[], token: number): void {
    const fresh = items.filter((a) => this.queue.isFresh(a.uuid, token));
    for (const a of fresh) this.queue.noteRead(a.uuid, a.revision_etag, token);
    if (!this.model.apply(fresh)) return;
    this.refreshView(false);
    const cur = this.current && fresh.find((a) => a.uuid === this.current);
    if (cur) void this.loadDetail(cur.uuid, false);
  }

  /** Re-derives the visible list from the model: existing rows stay, new matches join. */
  private refreshView(full: boolean) {
    const inView = new Set(this.view.map((a) => a.uuid));
    const next = this.view.map((a) => this.model.get(a.uuid)).filter((a): a is AssetSummary => !!a);
    const added = this.model.all().filter((a) => this.tab.matches(a) && !inView.has(a.uuid));
    const structural = added.length > 0 || next.length !== this.view.length || full;
    this.view = added.length ? sortAssets([...next, ...added], this.query.sort) : next;
    this.updateCounts();
    if (structural) this.list.render(this.view, this.current, this.selected);
    else for (const a of this.view) this.list.update(a);
    if (!this.current && this.view[0]) this.open(this.view[0].uuid);
  }

  private updateCounts() {
    this.toolbar.renderTabs(
      TABS,
      this.tab,
      (t) => this.model.count(t),
      (t) => this.selectTab(t),
    );
    this.toolbar.setDecided(this.model.decidedCount());
  }

  private selectTab(tab: Tab, keepUuid?: string) {
    this.tab = tab;
    this.view = sortAssets(this.model.all().filter(tab.matches), this.query.sort);
    this.selected.clear();
    this.updateCounts();
    this.toolbar.setSelection(0);
    const keep = keepUuid && this.view.find((a) => a.uuid === keepUuid);
    this.current = null;
    this.list.render(this.view, null, this.selected);
    const first = keep || this.view[0];
    if (first) this.open(first.uuid);
    else this.detail.empty(tab.label);
  }

  /** Shows an asset at once from its summary, then its detail. */
  open(uuid: string): void {
    const s = this.model.get(uuid);
    if (!s) return;
    this.current = uuid;
    this.loaded = null;
    this.list.select(uuid, this.selected);
    this.detail.shell(s);
    void this.loadDetail(uuid, true);
  }

  private async loadDetail(uuid: string, fresh: boolean) {
    const token = this.queue.readToken();
    let loaded: LoadedAsset;
    try {
      loaded = await this.api.getAsset(uuid);
    } catch (err) {
      if (this.current === uuid && fresh) this.showError(err);
      return;
    }
    if (this.current !== uuid) return;
    this.details.put(uuid, loaded.etag, loaded.detail);
    if (this.queue.isFresh(uuid, token)) {
      this.queue.noteRead(uuid, loaded.etag, token);
      if (this.model.apply([loaded.detail.summary])) this.refreshView(false);
    }
    // A background refresh of the asset on screen must not restart its player.
    const same = (a: LoadedAsset | null) =>
      a?.etag === loaded.etag &&
      JSON.stringify(a.detail.fields) === JSON.stringify(loaded.detail.fields);
    if (!fresh && same(this.loaded)) return;
    if (!fresh && this.detail.controls && !this.detail.controls.media.paused) return;
    this.loaded = loaded;
    const shown = { ...loaded.detail, summary: this.model.get(uuid) ?? loaded.detail.summary };
    await this.detail.show(shown, folderOf(loaded.detail), await this.compareTarget(uuid));
  }

  private async compareTarget(uuid: string): Promise<AssetDetail | null> {
    if (!this.compare) return null;
    const i = this.view.findIndex((a) => a.uuid === uuid);
    const other = this.view[i + 1] ?? this.view[i - 1];
    if (!other) return null;
    return (await this.api.getAsset(other.uuid).catch(() => null))?.detail ?? null;
  }

  private activate(uuid: string, ev: MouseEvent) {
    if (ev.shiftKey && this.anchor) return this.selectRange(this.anchor, uuid);
    if (ev.ctrlKey || ev.metaKey) {
      const next = new Set(this.selected);
      if (this.current && next.size === 0) next.add(this.current);
      if (next.has(uuid)) next.delete(uuid);
      else next.add(uuid);
      this.anchor = uuid;
      return this.setSelection(next);
    }
    this.anchor = uuid;
    this.setSelection(new Set());
    this.open(uuid);
  }

  private selectRange(from: string, to: string) {
    const ids = this.view.map((a) => a.uuid);
    const [a, b] = [ids.indexOf(from), ids.indexOf(to)].sort((x, y) => x - y);
    if (a! < 0) return;
    this.setSelection(new Set(ids.slice(a, b! + 1)));
    this.open(to);
  }

  private setSelection(sel: Set<string>) {
    this.selected = sel;
    this.toolbar.setSelection(sel.size);
    this.list.select(this.current, sel, false);
  }

  private step(delta: number, extend = false) {
    if (!this.view.length) return;
    const i = this.view.findIndex((a) => a.uuid === this.current);
    const next = Math.min(this.view.length - 1, Math.max(0, (i < 0 ? 0 : i) + delta));
    const uuid = this.view[next]!.uuid;
    if (extend) {
      this.anchor ??= this.current ?? uuid;
      return this.selectRange(this.anchor, uuid);
    }
    if (next !== i) this.open(uuid);
  }

  /** The assets an action applies to: the multi-selection, else the asset on screen. */
  private targets(): AssetSummary[] {
    const ids = this.selected.size > 1 ? [...this.selected] : this.current ? [this.current] : [];
    return ids.map((id) => this.model.get(id)).filter((a): a is AssetSummary => !!a);
  }

  decide(target: Decision): void {
    const targets = this.targets();
    const bulk = targets.length > 1;
    let queued = 0;
    for (const s of targets) {
      if (!DECIDABLE.includes(s.state)) {
        if (!bulk)
          toast(
            s.state === 'ARCHIVED' || s.state === 'REJECTED'
              ? `“${s.name}” is ${STATE_LABEL[s.state].toLowerCase()}: reopen it before deciding again.`
              : s.state === 'REVIEW_PENDING_PROFILE'
                ? `Choose the audio profile of “${s.name}” first (M or V, or Music + Keep).`
                : `“${s.name}” is not ready for a decision yet (${STATE_LABEL[s.state]}).`,
            'info',
          );
        continue;
      }
      if (s.state === target) {
        if (!bulk)
          toast(
            target === 'DECISION_PENDING'
              ? 'No decision to clear.'
              : `Already marked ${STATE_LABEL[target]}.`,
            'info',
          );
        continue;
      }
      this.optimistic({ ...s, state: target });
      void this.writes.patch(
        s,
        { state: target },
        target === 'DECIDED_KEEP'
          ? 'keep'
          : target === 'DECIDED_REJECT'
            ? 'reject'
            : 'clear the decision',
      );
      queued++;
    }
    if (bulk) {
      toast(
        `${target === 'DECIDED_KEEP' ? 'Keep' : target === 'DECIDED_REJECT' ? 'Reject' : 'Cleared'}: ${queued} assets`,
        'ok',
      );
      return;
    }
    // Culling flow: after a decision, straight to the next asset of the list.
    if (queued && target !== 'DECISION_PENDING') this.step(1);
  }

  /** Shows a change before Core confirms it (the queue will send it, in order). */
  private optimistic(s: AssetSummary) {
    this.model.set(s);
    this.list.update(s);
    this.updateCounts();
  }

  private confirmed(l: LoadedAsset, then?: (l: LoadedAsset) => void) {
    const s = l.detail.summary;
    this.details.put(s.uuid, l.etag, l.detail);
    this.live.saw([s]);
    // Later keystrokes on this asset are still queued: their optimistic state stays on screen
    // until the last write answers (else a fast 3-then-6 would briefly lose the rating).
    if (this.queue.hasPending(s.uuid)) return then?.(l);
    if (this.model.apply([s])) this.list.update(this.model.get(s.uuid)!);
    this.updateCounts();
    if (this.current === s.uuid && !then) {
      // Only a state change needs the whole pane (decision bar, banner); tags/notes do not.
      const before = this.loaded?.detail.summary.state;
      this.loaded = l;
      if (before !== s.state) void this.detail.show(l.detail, folderOf(l.detail), null);
      else this.detail.updateRating(l.detail);
    }
    then?.(l);
  }

  /** Back to Core's truth for one asset (after a refused write). */
  private async resync(uuid: string) {
    const token = this.queue.readToken();
    const fresh = await this.api.getAsset(uuid).catch(() => null);
    if (!fresh) return;
    this.queue.noteRead(uuid, fresh.etag, token);
    this.model.apply([fresh.detail.summary]);
    this.refreshView(false);
    if (this.current === uuid) await this.detail.show(fresh.detail, folderOf(fresh.detail), null);
  }

  private async purge() {
    const s = this.current ? this.model.get(this.current) : undefined;
    if (s && (await this.writes.purge(s))) await this.reload();
  }

  private patchCurrent(patch: AssetPatch, label: string) {
    for (const s of this.targets()) void this.writes.patch(s, patch, label);
  }

  private editTags(change: (tags: string[]) => string[]) {
    for (const s of this.targets()) {
      const tags = change(s.tags ?? []);
      this.optimistic({ ...s, tags });
      void this.writes.patch(s, { tags }, 'change the tags');
    }
    const cur = this.current && this.model.get(this.current);
    if (cur && this.loaded) this.detail.updateRating({ ...this.loaded.detail, summary: cur });
  }

  chooseProfile(profile: 'audio_music' | 'audio_voice', then?: Decision): void {
    const s = this.current ? this.model.get(this.current) : undefined;
    if (!s || s.state !== 'REVIEW_PENDING_PROFILE') {
      toast('A profile is chosen only for audio assets waiting for one.', 'info');
      return;
    }
    void this.writes.patch(s, { processing_profile: profile }, 'choose a profile', (l) => {
      toast(`“${s.name}” set to ${profile === 'audio_music' ? 'music' : 'voice'}`, 'ok');
      const after = l.detail.summary;
      if (then && after.state === 'DECISION_PENDING') {
        this.optimistic({ ...after, state: then });
        void this.writes.patch(after, { state: then }, then === 'DECIDED_KEEP' ? 'keep' : 'reject');
        this.step(1);
      } else if (then) toast('Voice adds a transcript job: decide once it is processed.', 'info');
      else if (this.current === after.uuid)
        void this.detail.show(l.detail, folderOf(l.detail), null);
    });
  }

  private retry() {
    const failed = this.targets().filter(isFailed);
    if (!failed.length) return toast('Retry applies to assets whose processing failed.', 'info');
    for (const s of failed) this.writes.mutate(s, 'reprocess', `Retrying “${s.name}”`);
  }

  private mutate(kind: 'reopen' | 'reprocess') {
    const s = this.current ? this.model.get(this.current) : undefined;
    if (s)
      this.writes.mutate(
        s,
        kind,
        kind === 'reopen' ? `Reopened “${s.name}”` : `Reprocessing “${s.name}”`,
      );
  }

  async applyDecisions(): Promise<void> {
    await this.queue.drain();
    const done = await openApplyDialog(this.api, (uuid) => this.model.get(uuid)?.name ?? uuid);
    if (done) await this.reload(this.current ?? undefined);
  }

  private toggleGrid() {
    this.list.setGrid(!this.list.grid);
    localStorage.setItem('retaia.review.grid', this.list.grid ? '1' : '0');
    this.list.select(this.current, this.selected);
  }

  private help() {
    openShortcutSheet(this.keymap, (id) => {
      this.keymap = id;
      saveKeymap(id);
      toast(`Keymap: ${KEYMAPS[id].label}`, 'info');
    });
  }

  private onKey(ev: KeyboardEvent) {
    if (ev.key === 'Escape' && this.selected.size) return this.setSelection(new Set());
    const action = actionFor(ev, this.keymap);
    if (!action) return;
    // Space must not also "click" a focused button or scroll the page.
    ev.preventDefault();
    const player = this.detail.controls;
    const rating = /^rate_(\d)$/.exec(action);
    if (rating) return this.editTags((t) => withRating(t, Number(rating[1])));
    const colour = LABEL_KEYS[action];
    if (colour) {
      const cur = this.current ? this.model.get(this.current) : undefined;
      return this.editTags((t) => withLabel(t, labelOf(cur?.tags) === colour ? null : colour));
    }
    switch (action) {
      case 'keep':
        return this.decide('DECIDED_KEEP');
      case 'reject':
        return this.decide('DECIDED_REJECT');
      case 'clear':
        return this.decide('DECISION_PENDING');
      case 'previous':
        return this.step(-1, ev.shiftKey);
      case 'next':
        return this.step(1, ev.shiftKey);
      case 'play':
        return player?.togglePlay();
      case 'shuttle_back':
        return player?.shuttle(-1);
      case 'shuttle_pause':
        return player?.pause();
      case 'shuttle_forward':
        return player?.shuttle(1);
      case 'frame_back':
        return player?.step(-1);
      case 'frame_forward':
        return player?.step(1);
      case 'grid':
        return this.toggleGrid();
      case 'loupe':
        return this.detail.toggleLoupe();
      case 'compare':
        this.compare = !this.compare;
        if (this.current) void this.loadDetail(this.current, true);
        return;
      case 'retry':
        return this.retry();
      case 'profile_music':
        return this.chooseProfile('audio_music');
      case 'profile_voice':
        return this.chooseProfile('audio_voice');
      case 'apply':
        return void this.applyDecisions();
      case 'search':
        return this.toolbar.focusSearch();
      case 'help':
        return this.help();
    }
  }

  private showError(err: unknown) {
    if (err instanceof ApiError && err.status === 401) return; // the session handler takes over
    toast(err instanceof Error ? err.message : String(err), 'error');
  }
}
