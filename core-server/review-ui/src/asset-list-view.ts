// The asset list (rows) or grid (tiles): thumbnails for photos and videos, the folder path (so
// `A001_C003.MP4` from two cards can be told apart), state/failed badges, rating and label,
// processing progress, and the selection (single, Ctrl/Cmd toggle, Shift range).
import { h } from './dom-builder.js';
import type { DetailCache } from './detail-cache.js';
import { formatDuration } from './facts-format.js';
import type { MediaAuth } from './media-auth.js';
import { isFailed, STATE_LABEL } from './review-tabs.js';
import type { AssetDetail, AssetState, AssetSummary } from './review-types.js';
import { labelOf, ratingOf } from './tag-conventions.js';

export function stateBadge(state: AssetState, failed = false): HTMLElement {
  return failed
    ? h('span', { class: 'badge state-failed', title: 'Processing failed' }, 'Failed')
    : h('span', { class: `badge state-${state.toLowerCase()}` }, STATE_LABEL[state]);
}

export function previewThumbUrl(a: AssetSummary): string | null {
  if (a.thumb_url) return a.thumb_url;
  // Photos have no `thumb` kind: their preview (contract derived URL) is the thumbnail.
  if (a.media_type === 'PHOTO' && a.has_preview)
    return `/api/v1/assets/${encodeURIComponent(a.uuid)}/derived/preview_photo`;
  return null;
}

export function folderOf(d: AssetDetail | undefined): string {
  const p = d?.paths.original_relative;
  const rel = Array.isArray(p) ? p[0] : p;
  if (!rel) return '';
  const i = rel.lastIndexOf('/');
  return i > 0 ? rel.slice(0, i) : '';
}

export class AssetListView {
  readonly el: HTMLElement;
  private items: AssetSummary[] = [];
  private readonly rows = new Map<string, HTMLElement>();
  private observer: IntersectionObserver | null = null;
  private marked = new Set<string>();
  private currentUuid: string | null = null;
  grid = false;

  constructor(
    private readonly media: MediaAuth,
    private readonly details: DetailCache,
    private readonly onActivate: (uuid: string, ev: MouseEvent) => void,
  ) {
    this.el = h('ul', {
      class: 'asset-list',
      role: 'listbox',
      'aria-label': 'Assets',
      'aria-multiselectable': 'true',
      tabindex: '0',
    });
  }

  setGrid(on: boolean): void {
    this.grid = on;
    this.el.classList.toggle('grid', on);
  }

  uuids(): string[] {
    return this.items.map((a) => a.uuid);
  }

  /** Redraws every row (list changes); selection is re-applied by the caller. */
  render(items: AssetSummary[], current: string | null, selected: Set<string>): void {
    const scroll = this.el.scrollTop;
    this.items = items;
    this.observer?.disconnect();
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const uuid = (e.target as HTMLElement).dataset.uuid;
          if (e.isIntersecting && uuid) this.details.want(uuid);
        }
      },
      { root: this.el, rootMargin: '200px' },
    );
    this.rows.clear();
    this.marked = new Set();
    this.currentUuid = null;
    const nodes = items.map((a) => this.row(a));
    this.el.replaceChildren(...nodes);
    for (const n of nodes) this.observer.observe(n);
    this.el.scrollTop = scroll;
    this.select(current, selected, false);
  }

  /** Updates one row in place (its summary or its loaded detail changed). */
  update(a: AssetSummary): void {
    const old = this.rows.get(a.uuid);
    if (!old) return;
    const i = this.items.findIndex((x) => x.uuid === a.uuid);
    if (i >= 0) this.items[i] = a;
    const fresh = this.row(a);
    fresh.setAttribute('aria-selected', old.getAttribute('aria-selected') ?? 'false');
    fresh.classList.toggle('current', old.classList.contains('current'));
    old.replaceWith(fresh);
    this.observer?.observe(fresh);
  }

  /**
   * Marks the current row and the multi-selection. Touches only the rows whose marks change, so
   * stepping through a 500-asset list costs two rows per key, not 500.
   */
  select(current: string | null, selected: Set<string>, scroll = true): void {
    const marked = new Set(selected);
    if (current) marked.add(current);
    for (const uuid of this.marked) {
      if (!marked.has(uuid)) this.rows.get(uuid)?.setAttribute('aria-selected', 'false');
    }
    for (const uuid of marked) this.rows.get(uuid)?.setAttribute('aria-selected', 'true');
    if (this.currentUuid !== current) {
      if (this.currentUuid) this.rows.get(this.currentUuid)?.classList.remove('current');
      if (current) this.rows.get(current)?.classList.add('current');
    }
    this.marked = marked;
    this.currentUuid = current;
    if (current && scroll) this.rows.get(current)?.scrollIntoView({ block: 'nearest' });
  }

  private row(a: AssetSummary): HTMLElement {
    const thumb = h('div', { class: `thumb media-${a.media_type.toLowerCase()}` });
    const url = previewThumbUrl(a);
    if (url && this.media.mode === 'service-worker') {
      thumb.append(h('img', { src: url, alt: '', loading: 'lazy', decoding: 'async' }));
    } else {
      thumb.append(
        h('span', {}, a.media_type === 'VIDEO' ? '▶' : a.media_type === 'AUDIO' ? '♪' : '▣'),
      );
    }
    const detail = this.details.peek(a.uuid, a.revision_etag ?? '');
    const folder = folderOf(detail);
    const rating = ratingOf(a.tags);
    const label = labelOf(a.tags);
    const failed = isFailed(a);
    const f = (detail?.fields ?? {}) as Record<string, unknown>;
    const total = Number(f.processing_jobs_total ?? 0);
    const done = Number(f.processing_jobs_done ?? 0);
    const processing = ['READY', 'PROCESSING_REVIEW', 'DISCOVERED'].includes(a.state);
    const li = h(
      'li',
      {
        role: 'option',
        class: `asset-item${label ? ` label-${label}` : ''}`,
        dataset: { uuid: a.uuid },
        'aria-selected': 'false',
      },
      thumb,
      h(
        'div',
        { class: 'item-text' },
        h('div', { class: 'item-name', title: a.name ?? a.uuid }, a.name ?? a.uuid),
        h(
          'div',
          { class: 'item-meta' },
          folder ? h('span', { class: 'item-folder', title: folder }, `${folder}/`) : '',
          h(
            'span',
            {},
            a.media_type.toLowerCase(),
            a.duration ? ` · ${formatDuration(a.duration)}` : '',
          ),
          rating
            ? h('span', { class: 'stars', 'aria-label': `${rating} stars` }, '★'.repeat(rating))
            : '',
        ),
        processing && total
          ? h('progress', {
              class: 'job-progress',
              max: String(total),
              value: String(done),
              'aria-label': `${done} of ${total} jobs done`,
            })
          : '',
      ),
      stateBadge(a.state, failed),
    );
    li.addEventListener('click', (ev) => this.onActivate(a.uuid, ev));
    this.rows.set(a.uuid, li);
    return li;
  }
}
