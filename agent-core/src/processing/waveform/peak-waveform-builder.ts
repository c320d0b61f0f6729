// Streaming peak aggregation: fixed memory (one number per bucket) whatever the duration.

export class PeakWaveformBuilder {
  private readonly peaks: Float64Array;
  private index = 0;

  /** `expectedSamples` (from the probed duration) fixes the bucket width up front. */
  constructor(
    readonly bucketCount: number,
    private readonly expectedSamples: number,
  ) {
    this.peaks = new Float64Array(bucketCount);
  }

  push(samples: Float32Array): void {
    const perBucket = Math.max(1, this.expectedSamples / this.bucketCount);
    const last = this.bucketCount - 1;
    const n = samples.length;
    let i = 0;
    // Walk bucket by bucket so the hot loop is a bare max (1 h at 44.1 kHz = 159 M samples).
    while (i < n) {
      const b = Math.min(last, Math.floor(this.index / perBucket));
      const boundary = b === last ? Infinity : Math.ceil((b + 1) * perBucket);
      const end = Math.min(n, i + Math.max(1, boundary - this.index));
      let peak = this.peaks[b]!;
      for (let k = i; k < end; k++) {
        const v = samples[k]!;
        const a = v < 0 ? -v : v;
        if (a > peak) peak = a;
      }
      this.peaks[b] = peak;
      this.index += end - i;
      i = end;
    }
  }

  get samplesSeen(): number {
    return this.index;
  }

  /** Peaks in 0..1 (float sources can exceed full scale; clamped), 4 decimals. */
  result(): number[] {
    return Array.from(this.peaks, (p) => Math.round(Math.min(1, p) * 10000) / 10000);
  }
}
