// Draws a waveform JSON ({duration_ms, bucket_count, samples[0..1]}) as mirrored bars on a
// canvas, with the played part in the accent colour. Pure drawing: the caller owns events.
import type { Waveform } from './review-types.js';

export function drawWaveform(canvas: HTMLCanvasElement, wf: Waveform, progress: number): void {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const style = getComputedStyle(canvas);
  const played = style.getPropertyValue('--wave-played').trim() || '#3b82f6';
  const rest = style.getPropertyValue('--wave-rest').trim() || '#94a3b8';
  ctx.clearRect(0, 0, width, height);

  const samples = wf.samples.length ? wf.samples : [0];
  // Quiet recordings would be a flat line: scale the loudest bucket to full height, but never
  // amplify more than 10× so near-silence still looks like silence.
  let loudest = 0;
  for (const v of samples) loudest = Math.max(loudest, v);
  const gain = 1 / Math.max(0.1, Math.min(1, loudest));
  const bar = Math.max(1, Math.floor(2 * dpr));
  const gap = Math.max(1, Math.floor(dpr));
  const bars = Math.max(1, Math.floor(width / (bar + gap)));
  const mid = height / 2;
  const cut = progress * bars;
  for (let i = 0; i < bars; i++) {
    // Peak of the buckets this bar covers, so short transients stay visible when zoomed out.
    const start = Math.floor((i / bars) * samples.length);
    const end = Math.max(start + 1, Math.floor(((i + 1) / bars) * samples.length));
    let peak = 0;
    for (let j = start; j < end && j < samples.length; j++) peak = Math.max(peak, samples[j] ?? 0);
    const amp = Math.max(dpr, Math.min(1, peak * gain) * (height / 2 - dpr));
    ctx.fillStyle = i < cut ? played : rest;
    ctx.fillRect(i * (bar + gap), mid - amp, bar, amp * 2);
  }
}

/** Fraction (0..1) of the canvas width at a pointer event. */
export function waveformFraction(canvas: HTMLCanvasElement, ev: MouseEvent): number {
  const rect = canvas.getBoundingClientRect();
  return Math.min(1, Math.max(0, (ev.clientX - rect.left) / rect.width));
}
