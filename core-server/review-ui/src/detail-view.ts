// Longer than most modules: one section per panel of the pane (banner, decisions, profile,
// progress, stage, rating, facts), each small; splitting them further would scatter one screen.
// The detail pane of one asset: header, failure banner (the agent's own words, with Retry),
// decision bar, the stage (video/audio with J/K/L and source timecode, or the photo with a 100 %
// loupe and a two-up compare), thumbnails, waveform, rating/label/notes/tags, facts in human
// terms, processing progress and transcript. Renders an instant "shell" from the summary so a
// keypress shows the next asset at once; the full detail fills in when it arrives.
import type { Action } from './keymap.js';
import { clear, h } from './dom-builder.js';
import { factRows, formatDuration } from './facts-format.js';
import type { MediaAuth } from './media-auth.js';
import { PlayerControls } from './player-controls.js';
import { stateBadge } from './asset-list-view.js';
import { isFailed } from './review-tabs.js';
import type { AssetDetail, AssetSummary, Waveform } from './review-types.js';
import { freeTags, LABEL_COLOURS, labelOf, ratingOf, type LabelColour } from './tag-conventions.js';
import { drawWaveform, waveformFraction } from './waveform-canvas.js';

export type Decision = 'DECIDED_KEEP' | 'DECIDED_REJECT' | 'DECISION_PENDING';

export interface DetailHandlers {
  decide(target: Decision): void;
  retry(): void;
  reopen(): void;
  reprocess(): void;
  purge(): void;
  chooseProfile(profile: 'audio_music' | 'audio_voice', then?: Decision): void;
  rate(stars: number): void;
  label(colour: LabelColour | null): void;
  saveNotes(notes: string | null): void;
  saveTags(free: string[]): void;
  keyLabel(action: Action): string;
}

const DECIDABLE = ['DECISION_PENDING', 'DECIDED_KEEP', 'DECIDED_REJECT'];

export class DetailView {
  readonly el: HTMLElement;
  controls: PlayerControls | null = null;
  private waveform: { canvas: HTMLCanvasElement; data: Waveform } | null = null;
  private photo: HTMLImageElement | null = null;
  private stage: HTMLElement | null = null;
  shownUuid: string | null = null;
  private rating: HTMLElement | null = null;
  private seq = 0;

  constructor(
    private readonly media: MediaAuth,
    private readonly loadWaveform: (url: string) => Promise<Waveform>,
    private readonly handlers: DetailHandlers,
  ) {
    this.el = h('section', { class: 'detail', 'aria-live': 'polite' });
  }

  teardown(): void {
    this.controls?.dispose();
    this.controls = null;
    this.waveform = null;
    this.photo = null;
    this.stage = null;
    this.media.release();
  }

  empty(title: string): void {
    this.seq++;
    this.teardown();
    this.shownUuid = null;
    this.el.dataset.uuid = '';
    this.el.replaceChildren(
      h(
        'div',
        { class: 'empty' },
        h('div', { class: 'empty-mark' }, '✓'),
        h('h2', {}, `Nothing in “${title}”`),
        h('p', {}, 'Pick another tab, or change the search and media filters.'),
      ),
    );
  }

  /** Instant header from the list summary while the detail loads. */
  shell(s: AssetSummary): void {
    this.seq++;
    this.teardown();
    this.shownUuid = s.uuid;
    this.el.dataset.uuid = s.uuid;
    this.el.dataset.loaded = 'false';
    this.el.replaceChildren(this.head(s, ''), h('div', { class: 'stage loading' }));
  }

  private head(s: AssetSummary, folder: string) {
    return h(
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
            folder ? `${folder}/` : '',
            s.media_type.toLowerCase(),
            s.duration ? formatDuration(s.duration) : '',
            s.captured_at ? new Date(s.captured_at).toLocaleString() : '',
          ]
            .filter(Boolean)
            .join(' · '),
        ),
      ),
      stateBadge(s.state, isFailed(s)),
    );
  }

  async show(d: AssetDetail, folder: string, compareWith: AssetDetail | null): Promise<void> {
    const seq = ++this.seq;
    const stale = () => seq !== this.seq;
    this.teardown();
    const s = d.summary;
    this.shownUuid = s.uuid;
    this.el.dataset.uuid = s.uuid;
    const f = (d.fields ?? {}) as Record<string, unknown>;
    const stage = h('div', { class: 'stage' });
    this.stage = stage;
    const thumbs = h('div', { class: 'thumb-strip', 'aria-label': 'Thumbnails' });
    const wave = h('canvas', { class: 'waveform', 'aria-label': 'Waveform', role: 'img' });
    clear(this.el);
    this.el.append(
      this.head(s, folder),
      this.failureBanner(s, f),
      this.decisionBar(d),
      this.profilePanel(d),
      this.progressPanel(s, f),
      stage,
      thumbs,
      wave,
      h(
        'div',
        { class: 'panels' },
        (this.rating = this.ratingPanel(d)),
        this.factsPanel(d),
        this.transcript(d),
      ),
    );
    this.el.dataset.loaded = 'true';

    const derived = d.derived ?? {};
    try {
      if (derived.preview_video_url || derived.preview_audio_url) {
        const video = Boolean(derived.preview_video_url);
        const el = video
          ? h('video', { controls: true, preload: 'metadata', playsinline: true, class: 'player' })
          : h('audio', { controls: true, preload: 'metadata', class: 'player' });
        el.src = await this.media.src((derived.preview_video_url ?? derived.preview_audio_url)!);
        if (stale()) return;
        this.controls = new PlayerControls(
          el,
          Number(f.fps) || 25,
          typeof f.timecode_start === 'string' ? f.timecode_start : undefined,
        );
        stage.append(
          video
            ? el
            : h('div', { class: 'audio-card' }, h('span', { class: 'audio-mark' }, '♪'), el),
          h('div', { class: 'transport' }, this.controls.goTo, this.controls.readout),
        );
      } else if (derived.preview_photo_url) {
        const img = h('img', {
          class: 'photo',
          alt: s.name ?? 'photo preview',
          src: await this.media.src(derived.preview_photo_url),
        });
        if (stale()) return;
        this.photo = img;
        const frame = h(
          'div',
          { class: 'photo-frame', tabindex: '0', title: 'Click or Z: 100 %' },
          img,
        );
        frame.addEventListener('click', (ev) => this.toggleLoupe(ev));
        stage.append(frame);
        if (compareWith?.derived?.preview_photo_url) {
          const other = h('img', {
            class: 'photo',
            alt: compareWith.summary.name ?? 'next photo',
            src: await this.media.src(compareWith.derived.preview_photo_url),
          });
          if (stale()) return;
          stage.classList.add('compare');
          stage.append(
            h(
              'figure',
              { class: 'photo-frame compare-other' },
              other,
              h('figcaption', {}, compareWith.summary.name ?? ''),
            ),
          );
        }
      } else {
        stage.append(
          h(
            'div',
            { class: 'no-preview' },
            isFailed(s) ? 'No preview: processing failed' : 'No preview yet',
          ),
        );
      }
      for (const [i, url] of (derived.thumbs ?? []).entries()) {
        const img = h('img', {
          alt: `Thumbnail ${i + 1}`,
          src: await this.media.src(url),
          tabindex: '0',
        });
        if (stale()) return;
        const n = derived.thumbs!.length;
        img.addEventListener('click', () => {
          const p = this.controls?.media;
          if (p?.duration) p.currentTime = ((i + 0.5) / n) * p.duration;
        });
        thumbs.append(img);
      }
    } catch {
      stage.append(h('div', { class: 'no-preview' }, 'Preview unavailable'));
    }
    if (!thumbs.childElementCount) thumbs.remove();
    if (!derived.waveform_url) return void wave.remove();
    try {
      const data = await this.loadWaveform(derived.waveform_url);
      if (stale()) return;
      this.waveform = { canvas: wave, data };
      this.redrawWaveform();
      wave.addEventListener('click', (ev) => {
        const p = this.controls?.media;
        if (!p) return;
        p.currentTime = waveformFraction(wave, ev) * (p.duration || data.duration_ms / 1000);
      });
      this.controls?.media.addEventListener('timeupdate', () => this.redrawWaveform());
      this.controls?.media.addEventListener('seeked', () => this.redrawWaveform());
    } catch {
      wave.remove();
    }
  }

  /**
   * Stars, label and tags changed: redraw that panel only, so the player keeps playing. Leaves
   * it alone while one of its fields is being edited.
   */
  updateRating(d: AssetDetail): void {
    if (!this.rating?.isConnected || d.summary.uuid !== this.shownUuid) return;
    const editing = document.activeElement;
    if (editing && this.rating.contains(editing) && editing.matches('input, textarea')) return;
    const fresh = this.ratingPanel(d);
    this.rating.replaceWith(fresh);
    this.rating = fresh;
  }

  redrawWaveform(): void {
    if (!this.waveform) return;
    const p = this.controls?.media;
    const total = p?.duration || this.waveform.data.duration_ms / 1000;
    drawWaveform(this.waveform.canvas, this.waveform.data, p && total ? p.currentTime / total : 0);
  }

  /** 100 % of the preview's pixels; a click centres the loupe where it landed. */
  toggleLoupe(ev?: MouseEvent): void {
    const img = this.photo;
    const frame = img?.parentElement;
    if (!img || !frame) return;
    const on = frame.classList.toggle('loupe');
    frame.setAttribute('aria-label', on ? 'Photo at 100 %' : 'Photo fitted');
    if (!on) return;
    const r = img.getBoundingClientRect();
    const fx = ev ? (ev.clientX - r.left) / Math.max(1, r.width) : 0.5;
    const fy = ev ? (ev.clientY - r.top) / Math.max(1, r.height) : 0.5;
    requestAnimationFrame(() => {
      frame.scrollLeft = fx * img.naturalWidth - frame.clientWidth / 2;
      frame.scrollTop = fy * img.naturalHeight - frame.clientHeight / 2;
    });
  }

  private button(
    label: string,
    action: Action | null,
    cls: string,
    fn: () => void,
    enabled = true,
  ) {
    const key = action ? this.handlers.keyLabel(action) : '';
    const b = h(
      'button',
      {
        class: cls,
        title: key ? `${label} (${key})` : label,
        disabled: !enabled,
        dataset: { action: label.toLowerCase().replace(/\W+/g, '-') },
      },
      label,
      key ? h('kbd', {}, key) : '',
    );
    b.addEventListener('click', fn);
    return b;
  }

  private failureBanner(s: AssetSummary, f: Record<string, unknown>) {
    if (!isFailed(s) && !f.processing_failure) return '';
    const jobs = Array.isArray(f.processing_failed_jobs) ? f.processing_failed_jobs.join(', ') : '';
    return h(
      'div',
      { class: 'failure-banner', role: 'alert' },
      h('strong', {}, 'Processing failed: '),
      h('span', { class: 'failure-message' }, String(f.processing_failure ?? 'reason unknown')),
      jobs ? h('span', { class: 'muted' }, ` (${jobs.replace(/_/g, ' ')})`) : '',
      h(
        'div',
        { class: 'failure-actions' },
        this.button('Retry', 'retry', 'ghost', () => this.handlers.retry()),
        h('span', { class: 'muted' }, 'or decide it as it is: keep it anyway, or reject it.'),
      ),
    );
  }

  private decisionBar(d: AssetDetail) {
    const state = d.summary.state;
    const decided = state === 'DECIDED_KEEP' ? 'keep' : state === 'DECIDED_REJECT' ? 'reject' : '';
    const decidable = DECIDABLE.includes(state);
    const bar = h(
      'div',
      { class: 'decision-bar' },
      this.button(
        'Keep',
        'keep',
        `keep ${decided === 'keep' ? 'active' : ''}`,
        () => this.handlers.decide('DECIDED_KEEP'),
        decidable,
      ),
      this.button(
        'Reject',
        'reject',
        `reject ${decided === 'reject' ? 'active' : ''}`,
        () => this.handlers.decide('DECIDED_REJECT'),
        decidable,
      ),
      this.button(
        'Clear',
        'clear',
        'ghost',
        () => this.handlers.decide('DECISION_PENDING'),
        decided !== '',
      ),
    );
    const secondary = h('div', { class: 'secondary-actions' });
    if (state === 'ARCHIVED' || state === 'REJECTED')
      secondary.append(this.button('Reopen', null, 'ghost', () => this.handlers.reopen()));
    if (state === 'PROCESSED' || state === 'ARCHIVED' || state === 'REJECTED')
      secondary.append(this.button('Reprocess', null, 'ghost', () => this.handlers.reprocess()));
    if (state === 'REJECTED')
      secondary.append(this.button('Purge…', null, 'danger', () => this.handlers.purge()));
    if (secondary.childElementCount) bar.append(secondary);
    return bar;
  }

  private profilePanel(d: AssetDetail) {
    if (d.summary.state !== 'REVIEW_PENDING_PROFILE') return '';
    const hc = this.handlers;
    return h(
      'div',
      { class: 'profile-choice', role: 'group', 'aria-label': 'Processing profile' },
      h('span', {}, 'Audio profile:'),
      this.button('Music', 'profile_music', 'ghost', () => hc.chooseProfile('audio_music')),
      this.button('Voice', 'profile_voice', 'ghost', () => hc.chooseProfile('audio_voice')),
      this.button('Music + Keep', null, 'keep', () =>
        hc.chooseProfile('audio_music', 'DECIDED_KEEP'),
      ),
      this.button('Music + Reject', null, 'reject', () =>
        hc.chooseProfile('audio_music', 'DECIDED_REJECT'),
      ),
      h(
        'p',
        { class: 'profile-help' },
        'Music keeps the preview and waveform only. Voice also transcribes the speech (when transcription is on), so the words become searchable; the asset waits for its transcript before you decide. ',
        '“Music + Keep/Reject” picks the profile and decides in one go.',
      ),
    );
  }

  private progressPanel(s: AssetSummary, f: Record<string, unknown>) {
    if (!['DISCOVERED', 'READY', 'PROCESSING_REVIEW', 'PROCESSED'].includes(s.state)) return '';
    const total = Number(f.processing_jobs_total ?? 0);
    const done = Number(f.processing_jobs_done ?? 0);
    const running = Array.isArray(f.processing_jobs_running) ? f.processing_jobs_running : [];
    const text =
      s.state === 'DISCOVERED'
        ? 'Waiting for the file to stop changing'
        : total
          ? `${done} of ${total} jobs done${running.length ? ` · running: ${running.join(', ').replace(/_/g, ' ')}` : ' · waiting for an agent'}`
          : 'Waiting for an agent';
    return h(
      'div',
      { class: 'processing-status', role: 'status' },
      total ? h('progress', { max: String(total), value: String(done) }) : '',
      h('span', {}, text),
    );
  }

  private ratingPanel(d: AssetDetail) {
    const tags = d.summary.tags ?? [];
    const rating = ratingOf(tags);
    const label = labelOf(tags);
    const stars = h(
      'div',
      { class: 'stars-input', role: 'radiogroup', 'aria-label': 'Rating' },
      [1, 2, 3, 4, 5].map((n) => {
        const b = h(
          'button',
          {
            class: `star ${n <= rating ? 'on' : ''}`,
            role: 'radio',
            'aria-checked': String(n === rating),
            'aria-label': `${n} star${n > 1 ? 's' : ''}`,
            title: `${n} (key ${n})`,
          },
          '★',
        );
        b.addEventListener('click', () => this.handlers.rate(n === rating ? 0 : n));
        return b;
      }),
    );
    const labels = h(
      'div',
      { class: 'labels-input', role: 'radiogroup', 'aria-label': 'Colour label' },
      LABEL_COLOURS.map((c) => {
        const b = h('button', {
          class: `swatch label-${c} ${c === label ? 'on' : ''}`,
          role: 'radio',
          'aria-checked': String(c === label),
          'aria-label': `${c} label`,
          title: c,
        });
        b.addEventListener('click', () => this.handlers.label(c));
        return b;
      }),
    );
    const notes = h('textarea', { 'aria-label': 'Notes', rows: '2', placeholder: 'Notes' });
    notes.value = d.notes ?? '';
    notes.addEventListener('change', () => this.handlers.saveNotes(notes.value.trim() || null));
    const tagInput = h('input', {
      'aria-label': 'Tags',
      placeholder: 'Tags, comma-separated',
      value: freeTags(tags).join(', '),
    });
    tagInput.addEventListener('change', () =>
      this.handlers.saveTags(
        tagInput.value
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
    );
    for (const field of [notes, tagInput] as HTMLElement[]) {
      field.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') (ev.target as HTMLElement).blur();
      });
    }
    return h(
      'section',
      { class: 'panel rating' },
      h('h3', {}, 'Rating'),
      stars,
      labels,
      tagInput,
      notes,
    );
  }

  private factsPanel(d: AssetDetail) {
    const rows = factRows(d);
    const p = d.paths;
    rows.push({
      label: 'Path',
      value: (Array.isArray(p.original_relative)
        ? p.original_relative
        : [p.original_relative]
      ).join(', '),
    });
    if (p.sidecars_relative?.length)
      rows.push({ label: 'Sidecars', value: p.sidecars_relative.join(', ') });
    if (d.processing?.processing_profile)
      rows.push({ label: 'Profile', value: d.processing.processing_profile.replace(/_/g, ' ') });
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
          rows.map((r) =>
            h(
              'tr',
              {},
              h('th', {}, r.label),
              h(
                'td',
                {},
                r.href
                  ? h('a', { href: r.href, target: '_blank', rel: 'noopener noreferrer' }, r.value)
                  : r.value,
              ),
            ),
          ),
        ),
      ),
    );
  }

  private transcript(d: AssetDetail) {
    const t = d.transcript;
    if (!t?.text && !t?.text_preview) return '';
    return h(
      'section',
      { class: 'panel transcript' },
      h(
        'h3',
        {},
        'Transcript',
        t.language ? h('span', { class: 'muted' }, ` · ${t.language}`) : '',
      ),
      h('p', {}, t.text ?? t.text_preview ?? ''),
    );
  }
}
