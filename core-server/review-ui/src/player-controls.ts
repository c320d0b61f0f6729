// Editor habits on the native player: J/K/L shuttle (each J or L press doubles the speed, K
// stops), frame steps, and a source-timecode readout fed by `timecode_start`. Reverse play is
// emulated by stepping back (browsers do not play backwards).
import { h } from './dom-builder.js';
import { parseTimecode, sourceTimecodeAt, type Timecode } from './timecode.js';

const SPEEDS = [1, 2, 4, 8];

export class PlayerControls {
  private speedIndex = -1;
  private direction: 1 | -1 = 1;
  private reverseTimer: number | undefined;
  private readonly start: Timecode | null;
  readonly readout: HTMLElement;
  /** Type a source timecode, Enter: the proxy seeks to that frame. */
  readonly goTo: HTMLInputElement;

  constructor(
    readonly media: HTMLMediaElement,
    private readonly fps: number,
    timecodeStart: string | undefined,
  ) {
    this.start = parseTimecode(timecodeStart, fps);
    this.readout = h('output', {
      class: 'timecode',
      'aria-label': this.start ? 'Source timecode' : 'Timecode',
      title: this.start ? `Source timecode (starts ${timecodeStart})` : 'Timecode from 0',
    });
    const update = () => (this.readout.textContent = this.timecode());
    media.addEventListener('timeupdate', update);
    media.addEventListener('seeked', update);
    media.addEventListener('loadedmetadata', update);
    update();
    this.goTo = h('input', {
      class: 'tc-input',
      'aria-label': 'Go to timecode',
      placeholder: 'Go to HH:MM:SS:FF',
      inputmode: 'numeric',
      size: '14',
    });
    this.goTo.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        const ok = this.seekToTimecode(this.goTo.value);
        this.goTo.setCustomValidity(ok ? '' : 'Use HH:MM:SS:FF within the clip');
        this.goTo.reportValidity();
        if (ok) this.goTo.blur();
      } else if (ev.key === 'Escape') this.goTo.blur();
    });
  }

  /** Seeks to the middle of the frame that source timecode `text` names; false when outside. */
  seekToTimecode(text: string): boolean {
    const fps = this.fps || 25;
    const target = parseTimecode(text, fps);
    if (!target) return false;
    const frame = target.frames - (this.start?.frames ?? 0);
    const seconds = (frame + 0.5) / fps;
    if (frame < 0 || (this.media.duration && seconds > this.media.duration)) return false;
    this.pause();
    this.media.currentTime = seconds;
    return true;
  }

  get hasSourceTimecode(): boolean {
    return this.start !== null;
  }

  timecode(): string {
    return sourceTimecodeAt(this.start, this.media.currentTime || 0, this.fps || 25);
  }

  togglePlay(): void {
    this.stopReverse();
    if (this.media.paused) void this.media.play().catch(() => undefined);
    else this.media.pause();
  }

  shuttle(direction: 1 | -1): void {
    if (direction !== this.direction) this.speedIndex = -1;
    this.direction = direction;
    this.speedIndex = Math.min(SPEEDS.length - 1, this.speedIndex + 1);
    const speed = SPEEDS[this.speedIndex]!;
    this.stopReverse();
    if (direction === 1) {
      this.media.playbackRate = speed;
      void this.media.play().catch(() => undefined);
    } else {
      this.media.pause();
      const tickMs = 100;
      this.reverseTimer = window.setInterval(() => {
        this.media.currentTime = Math.max(0, this.media.currentTime - (speed * tickMs) / 1000);
        if (this.media.currentTime <= 0) this.pause();
      }, tickMs);
    }
  }

  pause(): void {
    this.stopReverse();
    this.speedIndex = -1;
    this.media.pause();
    this.media.playbackRate = 1;
  }

  step(frames: number): void {
    this.pause();
    const frame = 1 / (this.fps || 25);
    // Land in the middle of the target frame so rounding never shows the neighbour.
    const index = Math.floor((this.media.currentTime + 1e-6) / frame) + frames;
    this.media.currentTime = Math.max(0, (index + 0.5) * frame);
  }

  dispose(): void {
    this.stopReverse();
    this.media.pause();
  }

  private stopReverse() {
    if (this.reverseTimer !== undefined) clearInterval(this.reverseTimer);
    this.reverseTimer = undefined;
  }
}
