// Seams between overlapping windows: a known sentence is spread over timed words, each window
// "hears" the words inside its span (the ones cut by its edges come out garbled, as whisper does),
// and the stitched text must be the sentence exactly: no word dropped, none doubled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TranscriptStitcher, wordsFromTokens, type TimedWord } from './transcript-stitcher.js';

const SENTENCE =
  'and so my fellow americans ask not what your country can do for you ask what you can do for your country'.split(
    ' ',
  );

/** One word every `pitchMs`, each lasting `lengthMs`, starting at `offsetMs`. */
function timeline(pitchMs: number, lengthMs: number, offsetMs = 0): TimedWord[] {
  return SENTENCE.map((text, i) => ({
    text,
    startMs: offsetMs + i * pitchMs,
    endMs: offsetMs + i * pitchMs + lengthMs,
  }));
}

/** What a window of [start, end) transcribes: whole words inside, a garbled half at each edge. */
function hear(words: TimedWord[], start: number, end: number, jitterMs = 0): TimedWord[] {
  return words
    .filter((w) => w.endMs > start && w.startMs < end)
    .map((w) => {
      const cutAtStart = w.startMs < start;
      const cutAtEnd = w.endMs > end;
      const text = cutAtStart
        ? w.text.slice(Math.ceil(w.text.length / 2))
        : cutAtEnd
          ? w.text.slice(0, Math.ceil(w.text.length / 2))
          : w.text;
      return {
        text,
        startMs: Math.max(start, w.startMs + jitterMs),
        endMs: Math.min(end, w.endMs + jitterMs),
      };
    });
}

function stitch(
  words: TimedWord[],
  windowMs: number,
  overlapMs: number,
  totalMs: number,
  jitter = 0,
): string {
  const s = new TranscriptStitcher();
  for (let start = 0, k = 0; start < totalMs; start += windowMs - overlapMs, k++) {
    const end = Math.min(totalMs, start + windowMs);
    s.add({ startMs: start, endMs: end }, hear(words, start, end, k % 2 ? jitter : -jitter));
    if (end === totalMs) break;
  }
  return s.text();
}

test('no word dropped or doubled at any seam position, whatever the word rhythm', () => {
  for (const pitch of [180, 250, 333, 410, 700]) {
    for (const length of [Math.round(pitch * 0.6), pitch - 10]) {
      for (const windowMs of [3000, 4100, 5000]) {
        for (const overlapMs of [800, 1000, 1500]) {
          const words = timeline(pitch, length, 37);
          const total = words.at(-1)!.endMs + 200;
          for (const jitter of [0, 40]) {
            assert.equal(
              stitch(words, windowMs, overlapMs, total, jitter),
              SENTENCE.join(' '),
              `pitch ${pitch} length ${length} window ${windowMs} overlap ${overlapMs} jitter ${jitter}`,
            );
          }
        }
      }
    }
  }
});

test('a word whose timing drifts between windows is still kept once', () => {
  const s = new TranscriptStitcher();
  s.add({ startMs: 0, endMs: 10_000 }, [
    { text: 'hello', startMs: 8_000, endMs: 8_400 },
    { text: 'world,', startMs: 8_900, endMs: 9_300 },
  ]);
  // The later window places "world" 150 ms later and without the comma.
  s.add({ startMs: 8_000, endMs: 18_000 }, [
    { text: 'hello', startMs: 8_050, endMs: 8_450 },
    { text: 'World', startMs: 9_050, endMs: 9_450 },
    { text: 'again', startMs: 9_600, endMs: 9_900 },
  ]);
  // Either hearing may win (the one farther from its window's edge), but only one.
  assert.equal(s.words().length, 3);
  assert.equal(
    s
      .text()
      .toLowerCase()
      .replace(/[^a-z ]/g, ''),
    'hello world again',
  );
  assert.equal(s.text(), 'hello World again', 'the later hearing is farther from its edge');
});

test('windows without overlap are concatenated; an empty window changes nothing', () => {
  const s = new TranscriptStitcher();
  s.add({ startMs: 0, endMs: 1000 }, [{ text: 'one', startMs: 100, endMs: 400 }]);
  s.add({ startMs: 1000, endMs: 2000 }, []);
  s.add({ startMs: 2000, endMs: 3000 }, [{ text: 'two', startMs: 2100, endMs: 2400 }]);
  assert.equal(s.text(), 'one two');
  assert.equal(s.text(2000), 'one', 'text before a time (the prompt for the next window)');
});

test('whisper token segments become words with absolute times', () => {
  const words = wordsFromTokens(
    [
      { text: ' Ask', t0: 0, t1: 300 },
      { text: ' not', t0: 300, t1: 500 },
      { text: ' what', t0: 520, t1: 700 },
      { text: "'s", t0: 700, t1: 760 },
      { text: ' [BLANK_AUDIO]', t0: 800, t1: 900 },
      { text: ' your', t0: 900, t1: 1100 },
    ],
    25_000,
  );
  assert.deepEqual(words, [
    { text: 'Ask', startMs: 25_000, endMs: 25_300 },
    { text: 'not', startMs: 25_300, endMs: 25_500 },
    { text: "what's", startMs: 25_520, endMs: 25_760 },
    { text: 'your', startMs: 25_900, endMs: 26_100 },
  ]);
});
