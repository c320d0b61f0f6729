// The review screen: state tabs with counts, the asset list, and the detail pane with players,
// thumbnails, waveform, facts and transcript. Decisions are PATCHes guarded by the asset ETag;
// a 412 means someone else changed the asset, so the view reloads it and says so.
import { ApiError, type ReviewApi } from './api-client.js';
import { openApplyDialog } from './apply-dialog.js';
import { clear, h } from './dom-builder.js';
import { SHORTCUTS, shortcutFor, type ShortcutAction } from './keyboard-shortcuts.js';
import type { MediaAuth } from './media-auth.js';
import { openPurgeDialog } from './purge-dialog.js';
import type { AssetDetail, AssetState, AssetSummary, Waveform } from './review-types.js';
import { toast } from './toast.js';
import { drawWaveform, waveformFraction } from './waveform-canvas.js';

interface Tab {
  id: string;
  label: string;
  states: AssetState[];
}

const TABS: Tab[] = [
  { id: 'review', label: 'To review', states: ['DECISION_PENDING'] },
  { id: 'profile', label: 'Needs profile', states: ['REVIEW_PENDING_PROFILE'] },
  { id: 'keep', label: 'Keep', states: ['DECIDED_KEEP'] },
  { id: 'reject', label: 'Reject', states: ['DECIDED_REJECT'] },
  { id: 'archived', label: 'Archived', states: ['ARCHIVED'] },
  { id: 'rejected', label: 'Rejected', states: ['REJECTED'] },
  {
    id: 'processing',
    label: 'Processing',
    states: ['DISCOVERED', 'READY', 'PROCESSING_REVIEW', 'PROCESSED'],
  },
];
const LISTED_STATES = TABS.flatMap((t) => t.states);
const DECIDABLE: AssetState[] = ['DECISION_PENDING', 'DECIDED_KEEP', 'DECIDED_REJECT'];
const STATE_LABEL: Record<AssetState, string> = {
  DISCOVERED: 'Discovered',
  READY: 'Ready',
  PROCESSING_REVIEW: 'Processing',
  REVIEW_PENDING_PROFILE: 'Needs profile',
  PROCESSED: 'Processed',
  DECISION_PENDING: 'To review',
  DECIDED_KEEP: 'Keep',
  DECIDED_REJECT: 'Reject',
  ARCHIVED: 'Archived',
  REJECTED: 'Rejected',
  PURGED: 'Purged',
};

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const hh = Math.floor(m / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return hh ? `${hh}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function stateBadge(state: AssetState) {
  return h('span', { class: `badge state-${state.toLowerCase()}` }, STATE_LABEL[state]);
}

export class ReviewApp {
  private all: AssetSummary[] = [];
  private list: AssetSummary[] = [];
  private tab: Tab = TABS[0]!;
  private current: { detail: AssetDetail; etag: string } | null = null;
  private player: HTMLMediaElement | null = null;
  private waveform: { canvas: HTMLCanvasElement; data: Waveform } | null = null;
  private query = { q: '', media_type: '', sort: '-created_at' };
  private busy = false;
  private openSeq = 0;
  private readonly els;

  constructor(
    private readonly root: HTMLElement,
    private readonly api: ReviewApi,
    private readonly media: MediaAuth,
    private readonly onSignOut: () => void,
  ) {
    const search = h('input', {
      type: 'search',
      placeholder: 'Search name or notes',
      'aria-label': 'Search',
      class: 'search',
    });
    const mediaType = h(
      'select',
      { 'aria-label': 'Media type' },
      h('option', { value: '' }, 'All media'),
      h('option', { value: 'VIDEO' }, 'Video'),
      h('option', { value: 'AUDIO' }, 'Audio'),
      h('option', { value: 'PHOTO' }, 'Photo'),
    );
    const sort = h(
      'select',
      { 'aria-label': 'Sort' },
      h('option', { value: '-created_at' }, 'Newest first'),
      h('option', { value: 'created_at' }, 'Oldest first'),
      h('option', { value: '-captured_at' }, 'Captured (newest)'),
      h('option', { value: 'name' }, 'Name A→Z'),
      h('option', { value: '-duration' }, 'Longest first'),
    );
    const applyCount = h('span', { class: 'count' }, '0');
    const applyBtn = h(
      'button',
      { class: 'primary', id: 'apply-decisions', title: 'Apply decisions (a)' },
      'Apply decisions',
      applyCount,
    );
    const legend = h(
      'div',
      { class: 'legend', id: 'shortcut-legend', role: 'note', 'aria-label': 'Keyboard shortcuts' },
      SHORTCUTS.map((s) =>
        h(
          'span',
          { class: 'legend-item' },
          s.keys.map((k) => h('kbd', {}, k)),
          ` ${s.label}`,
        ),
      ),
    );
    this.els = {
      search,
      mediaType,
      sort,
      applyBtn,
      applyCount,
      legend,
      tabs: h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Asset states' }),
      list: h('ul', { class: 'asset-list', role: 'listbox', 'aria-label': 'Assets' }),
      detail: h('section', { class: 'detail', 'aria-live': 'polite' }),
    };
    let debounce: number | undefined;
    search.addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = window.setTimeout(() => {
        this.query.q = search.value.trim();
        void this.reload();
      }, 250);
    });
    mediaType.addEventListener('change', () => {
      this.query.media_type = mediaType.value;
      void this.reload();
    });
    sort.addEventListener('change', () => {
      this.query.sort = sort.value;
      void this.reload();
    });
    applyBtn.addEventListener('click', () => void this.applyDecisions());
  }

  async start(): Promise<void> {
    const themeBtn = h(
      'button',
      { class: 'ghost', title: 'Toggle light/dark', 'aria-label': 'Toggle theme' },
      '◐',
    );
    themeBtn.addEventListener('click', () => {
      const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
      document.documentElement.dataset.theme = next;
      localStorage.setItem('retaia.review.theme', next);
      if (this.waveform) this.redrawWaveform();
    });
    const helpBtn = h(
      'button',
      { class: 'ghost', title: 'Shortcuts (?)', 'aria-label': 'Shortcuts' },
      '?',
    );
    helpBtn.addEventListener('click', () => this.els.legend.classList.toggle('expanded'));
    const signOut = h('button', { class: 'ghost' }, 'Sign out');
    signOut.addEventListener('click', () => this.onSignOut());

    clear(this.root);
    this.root.append(
      h(
        'div',
        { class: 'app' },
        h(
          'header',
          { class: 'topbar' },
          h(
            'div',
            { class: 'brand' },
            h('span', { class: 'logo' }, '◆'),
            'Retaia ',
            h('b', {}, 'Review'),
          ),
          this.els.search,
          this.els.mediaType,
          this.els.sort,
          h('div', { class: 'spacer' }),
          this.els.applyBtn,
          themeBtn,
          helpBtn,
          signOut,
        ),
        this.els.tabs,
        h('main', { class: 'workspace' }, this.els.list, this.els.detail),
        this.els.legend,
      ),
    );
    document.addEventListener('keydown', this.keyHandler);
    window.addEventListener('resize', this.resizeHandler);
    await this.reload();
  }

  /** Detaches global listeners (the session ended). */
  stop(): void {
    document.removeEventListener('keydown', this.keyHandler);
    window.removeEventListener('resize', this.resizeHandler);
    this.teardownPlayer();
  }

  private readonly keyHandler = (ev: KeyboardEvent) => this.onKey(ev);
  private readonly resizeHandler = () => this.redrawWaveform();

  /** Reloads every listed state once (counts are computed client-side from the same listing). */
  async reload(keepUuid?: string): Promise<void> {
    try {
      const { items, truncated } = await this.api.listAssets({
        states: LISTED_STATES,
        ...(this.query.media_type ? { media_type: this.query.media_type } : {}),
        ...(this.query.q ? { q: this.query.q } : {}),
        sort: this.query.sort,
      });
      this.all = items;
      if (truncated) toast('Showing the first 5000 assets; refine the search to see more.', 'info');
    } catch (err) {
      this.showError(err);
      return;
    }
    this.renderTabs();
    this.selectTab(this.tab, keepUuid);
  }

  private countFor(tab: Tab) {
    return this.all.filter((a) => tab.states.includes(a.state)).length;
  }

  private renderTabs() {
    clear(this.els.tabs);
    for (const tab of TABS) {
      const btn = h(
        'button',
        {
          role: 'tab',
          class: 'tab',
          'aria-selected': String(tab === this.tab),
          dataset: { tab: tab.id },
        },
        tab.label,
        h('span', { class: 'count' }, this.countFor(tab)),
      );
      btn.addEventListener('click', () => this.selectTab(tab));
      this.els.tabs.append(btn);
    }
    const decided = this.all.filter(
      (a) => a.state === 'DECIDED_KEEP' || a.state === 'DECIDED_REJECT',
    ).length;
    this.els.applyCount.textContent = String(decided);
    this.els.applyBtn.toggleAttribute('disabled', decided === 0);
  }

  private selectTab(tab: Tab, keepUuid?: string) {
    this.tab = tab;
    for (const b of this.els.tabs.querySelectorAll<HTMLElement>('[role=tab]')) {
      b.setAttribute('aria-selected', String(b.dataset.tab === tab.id));
    }
    this.list = this.all.filter((a) => tab.states.includes(a.state));
    this.renderList();
    const keep = keepUuid && this.list.find((a) => a.uuid === keepUuid);
    const first = keep || this.list[0];
    if (first) void this.open(first.uuid);
    else this.renderEmpty();
  }

  private renderList() {
    clear(this.els.list);
    for (const a of this.list) {
      const thumb = h('div', { class: `thumb media-${a.media_type.toLowerCase()}` });
      if (a.thumb_url && this.media.mode === 'service-worker') {
        thumb.append(h('img', { src: a.thumb_url, alt: '', loading: 'lazy' }));
      } else {
        thumb.append(
          h('span', {}, a.media_type === 'VIDEO' ? '▶' : a.media_type === 'AUDIO' ? '♪' : '▣'),
        );
      }
      const li = h(
        'li',
        {
          role: 'option',
          class: 'asset-item',
          dataset: { uuid: a.uuid },
          'aria-selected': String(this.current?.detail.summary.uuid === a.uuid),
        },
        thumb,
        h(
          'div',
          { class: 'item-text' },
          h('div', { class: 'item-name', title: a.name ?? a.uuid }, a.name ?? a.uuid),
          h(
            'div',
            { class: 'item-meta' },
            a.media_type.toLowerCase(),
            a.duration ? ` · ${formatDuration(a.duration)}` : '',
          ),
        ),
        stateBadge(a.state),
      );
      li.addEventListener('click', () => void this.open(a.uuid));
      this.els.list.append(li);
    }
  }

  private renderEmpty() {
    this.current = null;
    this.teardownPlayer();
    clear(this.els.detail);
    this.els.detail.append(
      h(
        'div',
        { class: 'empty' },
        h('div', { class: 'empty-mark' }, '✓'),
        h('h2', {}, `Nothing in “${this.tab.label}”`),
        h('p', {}, 'Pick another tab, or change the search and media filters.'),
      ),
    );
  }

  private teardownPlayer() {
    this.player?.pause();
    this.player = null;
    this.waveform = null;
    this.media.release();
  }

  async open(uuid: string): Promise<void> {
    // Fast key repeats (j/l) start several loads: only the latest one may render.
    const seq = ++this.openSeq;
    let loaded;
    try {
      loaded = await this.api.getAsset(uuid);
    } catch (err) {
      this.showError(err);
      return;
    }
    if (seq !== this.openSeq) return;
    this.current = loaded;
    this.syncSummary(loaded.detail.summary);
    for (const li of this.els.list.querySelectorAll<HTMLElement>('.asset-item')) {
      const selected = li.dataset.uuid === uuid;
      li.setAttribute('aria-selected', String(selected));
      if (selected) li.scrollIntoView({ block: 'nearest' });
    }
    await this.renderDetail(loaded.detail);
  }

  /** Keeps list/counts in step with what the server just told us about one asset. */
  private syncSummary(summary: AssetSummary) {
    const replace = (arr: AssetSummary[]) => {
      const i = arr.findIndex((a) => a.uuid === summary.uuid);
      if (i >= 0) arr[i] = summary;
    };
    replace(this.all);
    replace(this.list);
    const li = this.els.list.querySelector<HTMLElement>(
      `[data-uuid="${CSS.escape(summary.uuid)}"]`,
    );
    li?.querySelector('.badge')?.replaceWith(stateBadge(summary.state));
    this.renderTabs();
  }

  private async renderDetail(d: AssetDetail) {
    const seq = this.openSeq;
    const stale = () => seq !== this.openSeq;
    this.teardownPlayer();
    const s = d.summary;
    const state = s.state;
    const decided = state === 'DECIDED_KEEP' ? 'keep' : state === 'DECIDED_REJECT' ? 'reject' : '';
    const btn = (label: string, key: string, cls: string, action: () => void, enabled: boolean) => {
      const b = h(
        'button',
        {
          class: cls,
          title: `${label} (${key})`,
          disabled: !enabled,
          dataset: { action: label.toLowerCase() },
        },
        label,
        h('kbd', {}, key),
      );
      b.addEventListener('click', action);
      return b;
    };
    const decidable = DECIDABLE.includes(state);
    const decisionBar = h(
      'div',
      { class: 'decision-bar' },
      btn(
        'Keep',
        'K',
        `keep ${decided === 'keep' ? 'active' : ''}`,
        () => void this.decide('DECIDED_KEEP'),
        decidable,
      ),
      btn(
        'Reject',
        'R',
        `reject ${decided === 'reject' ? 'active' : ''}`,
        () => void this.decide('DECIDED_REJECT'),
        decidable,
      ),
      btn('Clear', 'U', 'ghost', () => void this.decide('DECISION_PENDING'), decided !== ''),
    );
    const secondary = h('div', { class: 'secondary-actions' });
    if (state === 'REVIEW_PENDING_PROFILE') {
      decisionBar.append(
        h(
          'div',
          { class: 'profile-choice', role: 'group', 'aria-label': 'Processing profile' },
          h('span', {}, 'Audio profile:'),
          btn('Music', 'M', 'ghost', () => void this.chooseProfile('audio_music'), true),
          btn('Voice', 'V', 'ghost', () => void this.chooseProfile('audio_voice'), true),
        ),
      );
    }
    if (state === 'ARCHIVED' || state === 'REJECTED') {
      const reopen = h('button', { class: 'ghost' }, 'Reopen');
      reopen.addEventListener('click', () => void this.mutate('reopen'));
      secondary.append(reopen);
    }
    if (state === 'PROCESSED' || state === 'ARCHIVED' || state === 'REJECTED') {
      const reprocess = h('button', { class: 'ghost' }, 'Reprocess');
      reprocess.addEventListener('click', () => void this.mutate('reprocess'));
      secondary.append(reprocess);
    }
    if (state === 'REJECTED') {
      const purge = h('button', { class: 'danger' }, 'Purge…');
      purge.addEventListener('click', () => void this.purge());
      secondary.append(purge);
    }

    const stage = h('div', { class: 'stage' });
    const thumbs = h('div', { class: 'thumb-strip', 'aria-label': 'Thumbnails' });
    const wave = h('canvas', { class: 'waveform', 'aria-label': 'Waveform', role: 'img' });
    const facts = this.factsTable(d);
    const transcript =
      d.transcript?.text || d.transcript?.text_preview
        ? h(
            'section',
            { class: 'panel transcript' },
            h(
              'h3',
              {},
              'Transcript',
              d.transcript.language
                ? h('span', { class: 'muted' }, ` · ${d.transcript.language}`)
                : '',
            ),
            h('p', {}, d.transcript.text ?? d.transcript.text_preview ?? ''),
          )
        : null;

    clear(this.els.detail);
    this.els.detail.append(
      h(
        'div',
        { class: 'detail-head' },
        h(
          'div',
          {},
          h('h2', { title: s.name ?? s.uuid }, s.name ?? s.uuid),
          h(
            'div',
            { class: 'muted' },
            [
              s.media_type.toLowerCase(),
              s.duration ? formatDuration(s.duration) : '',
              s.captured_at ? new Date(s.captured_at).toLocaleString() : '',
            ]
              .filter(Boolean)
              .join(' · '),
          ),
        ),
        stateBadge(state),
      ),
      decisionBar,
      stage,
      thumbs,
      wave,
      h('div', { class: 'panels' }, facts, transcript),
    );
    if (secondary.childElementCount) decisionBar.append(secondary);

    const derived = d.derived ?? {};
    try {
      if (derived.preview_video_url) {
        const v = h('video', {
          controls: true,
          preload: 'metadata',
          playsinline: true,
          class: 'player',
        });
        v.src = await this.media.src(derived.preview_video_url);
        if (stale()) return;
        stage.append(v);
        this.player = v;
      } else if (derived.preview_audio_url) {
        const a = h('audio', { controls: true, preload: 'metadata', class: 'player' });
        a.src = await this.media.src(derived.preview_audio_url);
        if (stale()) return;
        stage.append(h('div', { class: 'audio-card' }, h('span', { class: 'audio-mark' }, '♪'), a));
        this.player = a;
      } else if (derived.preview_photo_url) {
        stage.append(
          h('img', {
            class: 'photo',
            alt: s.name ?? 'photo preview',
            src: await this.media.src(derived.preview_photo_url),
          }),
        );
      } else {
        stage.append(h('div', { class: 'no-preview' }, 'No preview yet'));
      }
      for (const [i, url] of (derived.thumbs ?? []).entries()) {
        const img = h('img', {
          alt: `Thumbnail ${i + 1}`,
          src: await this.media.src(url),
          tabindex: '0',
        });
        const n = derived.thumbs!.length;
        img.addEventListener('click', () => {
          if (this.player?.duration)
            this.player.currentTime = ((i + 0.5) / n) * this.player.duration;
        });
        thumbs.append(img);
      }
    } catch (err) {
      this.showError(err);
    }
    if (!thumbs.childElementCount) thumbs.remove();

    if (derived.waveform_url) {
      try {
        const data = await this.api.getWaveform(derived.waveform_url);
        if (stale()) return;
        this.waveform = { canvas: wave, data };
        this.redrawWaveform();
        wave.addEventListener('click', (ev) => {
          const p = this.player;
          if (!p) return;
          const total = p.duration || data.duration_ms / 1000;
          p.currentTime = waveformFraction(wave, ev) * total;
        });
        this.player?.addEventListener('timeupdate', () => this.redrawWaveform());
        this.player?.addEventListener('seeked', () => this.redrawWaveform());
      } catch {
        wave.remove();
      }
    } else {
      wave.remove();
    }
  }

  private redrawWaveform() {
    if (!this.waveform) return;
    const p = this.player;
    const total = p?.duration || this.waveform.data.duration_ms / 1000;
    drawWaveform(this.waveform.canvas, this.waveform.data, p && total ? p.currentTime / total : 0);
  }

  private factsTable(d: AssetDetail) {
    const rows: [string, string][] = [];
    const s = d.summary;
    rows.push(['Media type', s.media_type]);
    if (d.processing?.processing_profile) rows.push(['Profile', d.processing.processing_profile]);
    if (s.duration) rows.push(['Duration', formatDuration(s.duration)]);
    if (s.captured_at) rows.push(['Captured', new Date(s.captured_at).toLocaleString()]);
    for (const [k, v] of Object.entries(d.fields ?? {})) {
      rows.push([k.replace(/_/g, ' '), Array.isArray(v) ? v.join(', ') : String(v)]);
    }
    if (d.gps_latitude != null && d.gps_longitude != null) {
      rows.push(['GPS', `${d.gps_latitude.toFixed(5)}, ${d.gps_longitude.toFixed(5)}`]);
    }
    rows.push(['Path', d.paths.original_relative]);
    if (d.paths.sidecars_relative?.length)
      rows.push(['Sidecars', d.paths.sidecars_relative.join(', ')]);
    if (s.tags?.length) rows.push(['Tags', s.tags.join(', ')]);
    if (d.notes) rows.push(['Notes', d.notes]);
    return h(
      'section',
      { class: 'panel facts' },
      h('h3', {}, 'Facts'),
      h(
        'table',
        {},
        h(
          'tbody',
          {},
          rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))),
        ),
      ),
    );
  }

  private step(delta: number) {
    if (!this.list.length) return;
    const uuid = this.current?.detail.summary.uuid;
    const i = this.list.findIndex((a) => a.uuid === uuid);
    const next = Math.min(this.list.length - 1, Math.max(0, (i < 0 ? 0 : i) + delta));
    if (next !== i) void this.open(this.list[next]!.uuid);
  }

  /** Runs one guarded mutation; on 412 reloads the asset and tells the user. */
  private async guarded(
    label: string,
    fn: (uuid: string, etag: string) => Promise<unknown>,
  ): Promise<boolean> {
    if (!this.current || this.busy) return false;
    const { uuid, name } = this.current.detail.summary;
    this.busy = true;
    try {
      await fn(uuid, this.current.etag);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        toast(
          `“${name ?? uuid}” was changed by someone else. Reloaded the latest version — check it and ${label} again.`,
          'warn',
        );
        await this.open(uuid);
      } else if (err instanceof ApiError && err.status === 409) {
        toast(`Cannot ${label}: ${err.message}`, 'error');
        await this.open(uuid);
      } else {
        this.showError(err);
      }
      return false;
    } finally {
      this.busy = false;
    }
  }

  async decide(target: 'DECIDED_KEEP' | 'DECIDED_REJECT' | 'DECISION_PENDING'): Promise<void> {
    if (!this.current) return;
    const { state, uuid, name } = this.current.detail.summary;
    if (!DECIDABLE.includes(state)) {
      toast(
        state === 'ARCHIVED' || state === 'REJECTED'
          ? `“${name}” is ${STATE_LABEL[state].toLowerCase()}: reopen it before deciding again.`
          : `“${name}” is not ready for a decision yet (${STATE_LABEL[state]}).`,
        'info',
      );
      return;
    }
    if (state === target) {
      toast(
        target === 'DECISION_PENDING'
          ? 'No decision to clear.'
          : `Already marked ${STATE_LABEL[target]}.`,
        'info',
      );
      return;
    }
    const label =
      target === 'DECISION_PENDING'
        ? 'clear the decision'
        : target === 'DECIDED_KEEP'
          ? 'keep'
          : 'reject';
    const seqBefore = this.openSeq;
    const ok = await this.guarded(label, (id, etag) =>
      this.api.patchAsset(id, etag, { state: target }),
    );
    if (!ok) return;
    toast(
      target === 'DECISION_PENDING'
        ? `Cleared “${name}”`
        : `${target === 'DECIDED_KEEP' ? 'Keep' : 'Reject'}: “${name}”`,
      target === 'DECIDED_REJECT' ? 'warn' : 'ok',
    );
    const i = this.list.findIndex((a) => a.uuid === uuid);
    if (this.openSeq !== seqBefore) {
      // The user already moved on while the PATCH was in flight: refresh the row, stay put.
      this.syncSummary((await this.api.getAsset(uuid)).detail.summary);
      return;
    }
    await this.open(uuid);
    // Review flow: after a decision, go straight to the next asset of the list.
    if (target !== 'DECISION_PENDING' && i >= 0 && i < this.list.length - 1) {
      await this.open(this.list[i + 1]!.uuid);
    }
  }

  async chooseProfile(profile: 'audio_music' | 'audio_voice'): Promise<void> {
    if (!this.current) return;
    const { state, uuid, name } = this.current.detail.summary;
    if (state !== 'REVIEW_PENDING_PROFILE') {
      toast('A profile is chosen only for audio assets waiting for one.', 'info');
      return;
    }
    const ok = await this.guarded('choose a profile', (id, etag) =>
      this.api.patchAsset(id, etag, { processing_profile: profile }),
    );
    if (!ok) return;
    toast(`“${name}” set to ${profile === 'audio_music' ? 'music' : 'voice'}`, 'ok');
    await this.open(uuid);
  }

  private async mutate(kind: 'reopen' | 'reprocess') {
    if (!this.current) return;
    const { uuid, name } = this.current.detail.summary;
    const ok = await this.guarded(kind, (id, etag) =>
      kind === 'reopen' ? this.api.reopen(id, etag) : this.api.reprocess(id, etag),
    );
    if (!ok) return;
    toast(kind === 'reopen' ? `Reopened “${name}”` : `Reprocessing “${name}”`, 'ok');
    await this.reload(uuid);
  }

  private async purge() {
    if (!this.current) return;
    const { uuid, name } = this.current.detail.summary;
    let preview;
    try {
      preview = await this.api.purgePreview(uuid);
    } catch (err) {
      this.showError(err);
      return;
    }
    if (!(await openPurgeDialog(name ?? uuid, preview))) return;
    const ok = await this.guarded('purge', (id, etag) => this.api.purge(id, etag));
    if (!ok) return;
    toast(`Purged “${name}”`, 'warn');
    await this.reload();
  }

  async applyDecisions(): Promise<void> {
    const done = await openApplyDialog(
      this.api,
      (uuid) => this.all.find((a) => a.uuid === uuid)?.name ?? uuid,
    );
    if (done) await this.reload(this.current?.detail.summary.uuid);
  }

  private onKey(ev: KeyboardEvent) {
    const action: ShortcutAction | undefined = shortcutFor(ev);
    if (!action) return;
    // Space must not also "click" a focused button or scroll the page.
    ev.preventDefault();
    switch (action) {
      case 'keep':
        return void this.decide('DECIDED_KEEP');
      case 'reject':
        return void this.decide('DECIDED_REJECT');
      case 'clear':
        return void this.decide('DECISION_PENDING');
      case 'previous':
        return this.step(-1);
      case 'next':
        return this.step(1);
      case 'play':
        if (this.player) void (this.player.paused ? this.player.play() : this.player.pause());
        return;
      case 'profile_music':
        return void this.chooseProfile('audio_music');
      case 'profile_voice':
        return void this.chooseProfile('audio_voice');
      case 'apply':
        return void this.applyDecisions();
      case 'help':
        this.els.legend.classList.toggle('expanded');
        return;
    }
  }

  private showError(err: unknown) {
    if (err instanceof ApiError && err.status === 401) return; // the session handler takes over
    toast(err instanceof Error ? err.message : String(err), 'error');
  }
}
