// Joins the words of overlapping transcription windows into one transcript without dropping or
// doubling words at the seams. Long audio is transcribed in windows (whisper's context is 30 s);
// cutting speech at a hard boundary splits words, so consecutive windows overlap and both hear
// the overlap. At each seam a cut time sits in the middle of the overlap:
//   * the earlier window keeps the words that START before the cut,
//   * the later window keeps the words that END after the cut,
// so every word is kept by at least one side (nothing dropped); a word that straddles the cut can
// be kept by both (and timings drift a little between windows), so a later-window word that starts
// before the cut or just after it is dropped when it mostly overlaps in time a kept earlier-window
// word, or repeats its text starting at nearly the same time (nothing doubled).
// Times are absolute (milliseconds from the start of the audio).

export interface TimedWord {
  text: string;
  startMs: number;
  endMs: number;
}

export interface WhisperTokenSegment {
  text: string;
  /** Milliseconds from the start of the window. */
  t0: number;
  t1: number;
}

/**
 * Whisper's token-level segments (maxLen 1 with token timestamps) → words with absolute times.
 * A token that begins with a space starts a new word; others continue the current one.
 */
export function wordsFromTokens(
  segments: WhisperTokenSegment[],
  windowStartMs: number,
): TimedWord[] {
  const words: TimedWord[] = [];
  for (const s of segments) {
    if (!s.text || /^\s*\[.*\]\s*$/.test(s.text)) continue; // [BLANK_AUDIO], [MUSIC] markers
    const startMs = windowStartMs + Math.max(0, s.t0);
    const endMs = windowStartMs + Math.max(s.t0, s.t1);
    const last = words.at(-1);
    if (last && !/^\s/.test(s.text)) {
      last.text += s.text;
      last.endMs = Math.max(last.endMs, endMs);
    } else {
      const text = s.text.trim();
      if (text) words.push({ text, startMs, endMs });
    }
  }
  return words;
}

/** Word timings of one stretch of audio differ between two windows by up to a few hundred ms. */
const SEAM_SLACK_MS = 1000;
/** The same word heard by two windows starts within this; a real repetition ("you … you") later. */
const SAME_WORD_DRIFT_MS = 350;

const normalise = (w: string) => w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, '');

export class TranscriptStitcher {
  private readonly kept: TimedWord[] = [];
  private previousEndMs: number | undefined;

  /** Adds the words of the next window, which spans [startMs, endMs) of the audio. */
  add(window: { startMs: number; endMs: number }, words: TimedWord[]): void {
    const prevEnd = this.previousEndMs;
    this.previousEndMs = window.endMs;
    if (prevEnd === undefined || window.startMs >= prevEnd) {
      this.kept.push(...words);
      return;
    }
    const cut = window.startMs + (prevEnd - window.startMs) / 2;
    while (this.kept.length && this.kept.at(-1)!.startMs >= cut) this.kept.pop();
    const earlier = this.kept.length;
    for (const w of words) {
      if (w.endMs <= cut) continue;
      const twin = w.startMs < cut + SEAM_SLACK_MS ? this.earlierTwin(w, earlier) : -1;
      if (twin < 0) {
        this.kept.push(w);
        continue;
      }
      // Heard by both windows: keep the hearing farther from its window's edge (an edge garbles
      // the word it cuts).
      const earlierMargin = prevEnd - this.kept[twin]!.endMs;
      const laterMargin = w.startMs - window.startMs;
      if (laterMargin > earlierMargin) this.kept[twin] = w;
    }
  }

  /** Index of the earlier-window word `w` repeats, or -1. Words of one window may overlap. */
  private earlierTwin(w: TimedWord, earlier: number): number {
    for (let i = earlier - 1; i >= 0; i--) {
      const k = this.kept[i]!;
      if (k.endMs < w.startMs - SEAM_SLACK_MS) break;
      // Mostly the same stretch of audio: one word heard twice (neighbours only touch).
      const shared = Math.min(k.endMs, w.endMs) - Math.max(k.startMs, w.startMs);
      const shorter = Math.min(k.endMs - k.startMs, w.endMs - w.startMs);
      if (shared > 0 && shared >= shorter / 2) return i;
      const sameWord = normalise(k.text) === normalise(w.text);
      if (sameWord && Math.abs(k.startMs - w.startMs) < SAME_WORD_DRIFT_MS) return i;
    }
    return -1;
  }

  /** Words kept so far, in order, with absolute times. */
  words(): readonly TimedWord[] {
    return this.kept;
  }

  /** The transcript text so far (optionally only the words that start before `beforeMs`). */
  text(beforeMs = Infinity): string {
    return this.kept
      .filter((w) => w.startMs < beforeMs)
      .map((w) => w.text)
      .join(' ');
  }
}
