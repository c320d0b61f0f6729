// The storyboard taken from the decoded stream of a combined pass instead of ~10–50 seeks. A
// `select` filter keeps, for every candidate time of the plan (each slot's planned time and its
// alternatives, thumbnail-plan.ts), the first frame at or after it — exactly the frame an input
// seek to that time returns — plus the very first frame (the fallback when a slot gets nothing).
// `showinfo` tells the time of each kept frame on stderr; the packed RGB frames come through a
// pipe in the same order. Black-frame avoidance is the same rule as the per-seek path: per
// slot, the first candidate (in preference order) that is not poor, else the best-scoring one.
import { rgbFrameFilters, type RgbFrame } from '../tools/ffmpeg-decode.js';
import type { ChosenFrame } from '../thumbnails/generate-thumbnails.js';
import {
  THUMB_PROFILE,
  alternativesFor,
  frameQuality,
  frameScore,
  isPoorFrame,
  type StoryboardSlot,
} from '../thumbnails/thumbnail-plan.js';

interface SlotState {
  slot: StoryboardSlot;
  /** Candidate times in preference order (planned first). */
  times: number[];
  /** The most preferred good frame seen so far, with its preference index. */
  good?: { index: number; atMs: number; frame: RgbFrame };
  /** The best-scoring poor frame seen so far. */
  poor?: { atMs: number; frame: RgbFrame; score: number };
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

/** `[n:  12 pts: 3000 pts_time:0.1 … s:480x270 …]` lines of showinfo. */
const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:(\S+).*?\bs:(\d+)x(\d+)/;

export class StoryboardCollector {
  private readonly slots: SlotState[];
  /** Every candidate time, ascending, with the slots that wait for it. */
  private readonly candidates: { ms: number; wanted: { slot: SlotState; index: number }[] }[];
  private nextCandidate = 0;
  private readonly pending: { ms: number; width: number; height: number }[] = [];
  private bytes: Buffer[] = [];
  private byteCount = 0;
  private stderrCarry = '';
  private first?: { atMs: number; frame: RgbFrame };
  framesSeen = 0;

  constructor(plan: readonly StoryboardSlot[]) {
    this.slots = plan.map((slot) => ({ slot, times: [slot.atMs, ...alternativesFor(slot)] }));
    const byTime = new Map<number, { slot: SlotState; index: number }[]>();
    for (const s of this.slots)
      s.times.forEach((ms, index) => {
        const list = byTime.get(ms) ?? [];
        list.push({ slot: s, index });
        byTime.set(ms, list);
      });
    this.candidates = [...byTime.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([ms, wanted]) => ({ ms, wanted }));
  }

  /** The filter chain of the thumbnail branch, from the decoded frame to packed RGB. */
  filters(toneMap: readonly string[]): string[] {
    // prev_pts is NAN on the first frame, so eq(n,0) keeps it explicitly.
    const terms = this.candidates.map(({ ms }) => `gte(t,${secs(ms)})*lt(prev_pts*TB,${secs(ms)})`);
    return [
      `select='gt(eq(n,0)+${terms.join('+')},0)'`,
      ...rgbFrameFilters(THUMB_PROFILE.width, toneMap),
      'showinfo',
    ];
  }

  /** Feed ffmpeg's stderr text (showinfo lines among others). */
  onStderr(text: string): void {
    const lines = (this.stderrCarry + text).split('\n');
    this.stderrCarry = lines.pop() ?? '';
    for (const line of lines) {
      const m = SHOWINFO.exec(line);
      if (!m || !line.includes('showinfo')) continue;
      this.pending.push({
        ms: Number(m[3]) * 1000,
        width: Number(m[4]),
        height: Number(m[5]),
      });
    }
    this.cut();
  }

  /** Feed the RGB pipe's bytes. */
  onFrames(chunk: Buffer): void {
    this.bytes.push(chunk);
    this.byteCount += chunk.length;
    this.cut();
  }

  /** Frames whose time and bytes have both arrived (the two streams are not in step). */
  private cut(): void {
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      const size = head.width * head.height * 3;
      if (this.byteCount < size) return;
      const all = this.bytes.length === 1 ? this.bytes[0]! : Buffer.concat(this.bytes);
      const rgb = Buffer.from(all.subarray(0, size));
      const rest = all.subarray(size);
      this.bytes = rest.length ? [rest] : [];
      this.byteCount = rest.length;
      this.pending.shift();
      this.take(head.ms, { width: head.width, height: head.height, rgb });
    }
  }

  private take(ms: number, frame: RgbFrame): void {
    this.framesSeen++;
    if (!this.first) this.first = { atMs: Math.max(0, Math.round(ms)), frame };
    // This frame is the first at/after every candidate time not yet served and ≤ its time
    // (a millisecond of slack for the printed time's rounding).
    let quality: ReturnType<typeof frameQuality> | undefined;
    while (
      this.nextCandidate < this.candidates.length &&
      this.candidates[this.nextCandidate]!.ms <= ms + 1
    ) {
      const { ms: atMs, wanted } = this.candidates[this.nextCandidate++]!;
      quality ??= frameQuality(frame.rgb, frame.width, frame.height);
      for (const { slot, index } of wanted) {
        if (!isPoorFrame(quality)) {
          if (!slot.good || index < slot.good.index) slot.good = { index, atMs, frame };
        } else {
          const score = frameScore(quality);
          if (!slot.poor || score > slot.poor.score) slot.poor = { atMs, frame, score };
        }
      }
    }
  }

  /** The chosen frame of every slot, or undefined when the stream gave no frame at all. */
  result(): ChosenFrame[] | undefined {
    if (!this.first) return undefined;
    return this.slots.map((s) => {
      const pick = s.good ?? s.poor ?? this.first!;
      return { slot: s.slot, atMs: pick.atMs, frame: pick.frame };
    });
  }
}
