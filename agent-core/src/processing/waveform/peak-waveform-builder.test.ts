import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeakWaveformBuilder } from './peak-waveform-builder.js';

/** Reference: the obvious per-sample bucket formula. */
function reference(all: Float32Array, buckets: number, expected: number): number[] {
  const peaks = new Array<number>(buckets).fill(0);
  const per = Math.max(1, expected / buckets);
  all.forEach((v, i) => {
    const b = Math.min(buckets - 1, Math.floor(i / per));
    peaks[b] = Math.max(peaks[b]!, Math.abs(v));
  });
  return peaks.map((p) => Math.round(Math.min(1, p) * 10000) / 10000);
}

test('chunked streaming aggregation equals the per-sample reference, whatever the chunking', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (const [len, expected] of [
    [10_007, 10_007],
    [3_333, 3_000], // more samples than the probe promised: extra go to the last bucket
    [999, 1000], // fewer samples than buckets
  ] as const) {
    const all = Float32Array.from({ length: len }, rnd);
    for (const chunk of [1, 7, 64, 4096]) {
      const b = new PeakWaveformBuilder(100, expected);
      for (let i = 0; i < len; i += chunk) b.push(all.subarray(i, i + chunk));
      assert.deepEqual(b.result(), reference(all, 100, expected), `len ${len} chunk ${chunk}`);
      assert.equal(b.samplesSeen, len);
    }
  }
});
