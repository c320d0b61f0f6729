// Where thumbnails are taken (docs/protocol.md#job-types-and-outputs), as pure functions of the duration so the same input
// always yields the same timestamps.

export const THUMB_PROFILE = {
  width: 480,
  quality: 78,
  storyboardCount: 10,
  representative: 'video_representative_v1',
  storyboard: 'video_storyboard_v1',
} as const;

/** Representative frame time: max(1 s, 10 %) for clips < 120 s, else 5 % capped at 20 s. */
export function representativeMs(durationMs: number): number {
  const t =
    durationMs < 120_000 ? Math.max(1000, durationMs * 0.1) : Math.min(durationMs * 0.05, 20_000);
  // Very short clips: stay inside the clip (the last frame starts before the end).
  return Math.round(Math.min(t, durationMs * 0.9));
}

export interface StoryboardSlot {
  /** Planned timestamp. */
  atMs: number;
  /** Bounds a replacement frame may move within (keeps the board chronological). */
  minMs: number;
  maxMs: number;
  representative: boolean;
}

/**
 * Ten slots of equal width over the whole duration, each sampled at its centre, except the slot
 * containing the representative time, which is sampled exactly there.
 */
export function storyboardPlan(
  durationMs: number,
  count: number = THUMB_PROFILE.storyboardCount,
): StoryboardSlot[] {
  const rep = representativeMs(durationMs);
  const width = durationMs / count;
  const repSlot = Math.min(count - 1, Math.floor(rep / width));
  return Array.from({ length: count }, (_, i) => {
    const minMs = Math.round(i * width);
    const maxMs = Math.round(Math.min((i + 1) * width, durationMs * 0.98));
    const atMs = i === repSlot ? rep : Math.round((i + 0.5) * width);
    return { atMs, minMs, maxMs, representative: i === repSlot };
  });
}

/** Alternative times to try, nearest first, when the planned frame is black/flat. */
export function alternativesFor(slot: StoryboardSlot): number[] {
  const span = slot.maxMs - slot.minMs;
  const out: number[] = [];
  for (const f of [0.25, -0.25, 0.45, -0.45]) {
    const t = Math.round(slot.atMs + f * span);
    if (t >= slot.minMs && t <= slot.maxMs && t !== slot.atMs) out.push(t);
  }
  return out;
}

export interface FrameQuality {
  meanLuma: number;
  stdLuma: number;
}

/** Mean and standard deviation of BT.709 luma (0..255), on a sparse pixel grid (cheap). */
export function frameQuality(rgb: Buffer, width: number, height: number): FrameQuality {
  const step = Math.max(1, Math.floor(Math.sqrt((width * height) / 4096)));
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      const i = (y * width + x) * 3;
      const l = 0.2126 * rgb[i]! + 0.7152 * rgb[i + 1]! + 0.0722 * rgb[i + 2]!;
      sum += l;
      sq += l * l;
      n++;
    }
  }
  const mean = sum / n;
  return { meanLuma: mean, stdLuma: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
}

/** Black, white-flash or flat (fade) frames make poor thumbnails. */
export function isPoorFrame(q: FrameQuality): boolean {
  return q.meanLuma < 20 || q.meanLuma > 245 || q.stdLuma < 8;
}

/** Comparable score used when every candidate is poor: prefer detail, then mid brightness. */
export function frameScore(q: FrameQuality): number {
  return q.stdLuma - Math.abs(q.meanLuma - 128) / 8;
}
