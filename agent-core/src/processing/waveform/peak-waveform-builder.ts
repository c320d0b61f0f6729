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
    for (let i = 0; i < samples.length; i++, this.index++) {
      const b = Math.min(last, Math.floor(this.index / perBucket));
      const v = Math.abs(samples[i]!);
      if (v > this.peaks[b]!) this.peaks[b] = v;
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
