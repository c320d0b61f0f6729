// HDR sources (PQ/HDR10 and HLG, BT.2020) seen through an SDR BT.709 preview. Decoded naively,
// a PQ clip looks flat and grey and an HLG clip washed out (colours read with the wrong
// primaries). These filters convert to linear light, map BT.2020 to BT.709 and compress the
// highlights (mobius: mid-tones stay as graded, brighter levels roll off), then
// re-encode with the BT.709 transfer. docs/media-engine.md, "HDR sources".
import type { ProbeStream } from './probe.js';

export type HdrTransfer = 'pq' | 'hlg';

const TRANSFERS: Record<string, HdrTransfer> = {
  smpte2084: 'pq',
  'arib-std-b67': 'hlg',
};

/** The HDR transfer of a video stream, or undefined for SDR (or unknown). */
export function hdrTransfer(stream: ProbeStream | undefined): HdrTransfer | undefined {
  return stream?.color_transfer ? TRANSFERS[stream.color_transfer] : undefined;
}

/** HDR reference white (BT.2408): what SDR white becomes in an HDR grade. */
const REFERENCE_WHITE_NITS = 203;
/** Peak assumed when the file states none: the usual HDR10 mastering display. */
const DEFAULT_PEAK_NITS = 1000;

function nits(v: unknown): number | undefined {
  const n =
    typeof v === 'string' && v.includes('/')
      ? Number(v.split('/')[0]) / Number(v.split('/')[1])
      : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The brightest level the stream claims (MaxCLL, else the mastering display's peak), in nits. */
export function peakNits(stream: ProbeStream): number {
  const side = (stream.side_data_list ?? []) as Record<string, unknown>[];
  for (const key of ['max_content', 'max_luminance']) {
    for (const d of side) {
      const v = nits(d[key]);
      if (v) return v;
    }
  }
  return DEFAULT_PEAK_NITS;
}

/**
 * Filters that turn an HDR stream into SDR BT.709 (limited range, still in a high-precision
 * format: the caller appends its own `format=`). Empty for SDR streams. The input properties
 * are stated from the probe, so frames without colour tags are still read right. Linear light
 * is scaled so HDR reference white (203 nits) becomes SDR white; levels up to half of it stay
 * as graded and brighter ones roll off towards the stream's peak.
 */
export function toneMapFilters(stream: ProbeStream | undefined): string[] {
  if (!stream || !hdrTransfer(stream)) return [];
  const primaries = stream.color_primaries ?? 'bt2020';
  const matrix = stream.color_space?.startsWith('bt2020') ? stream.color_space : 'bt2020nc';
  const range = stream.color_range === 'pc' ? 'full' : 'limited';
  const peak = Math.max(1, peakNits(stream) / REFERENCE_WHITE_NITS).toFixed(2);
  return [
    `zscale=tin=${stream.color_transfer}:pin=${primaries}:min=${matrix}:rin=${range}:t=linear:npl=${REFERENCE_WHITE_NITS}`,
    'format=gbrpf32le',
    'zscale=p=bt709',
    `tonemap=tonemap=mobius:param=0.5:peak=${peak}:desat=0`,
    'zscale=t=bt709:m=bt709:r=limited',
  ];
}
