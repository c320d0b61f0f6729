// Facts in the words photographers, editors and sound people use: `1/160 s · f/7.1 · ISO 100 ·
// 135 mm`, camera + lens, GPS with a map link, codec/resolution/fps/bit depth/HDR, channels and
// sample rate. Reads the contract's `fields` (FactsPatch names); keys it does not know are shown
// last, title-cased, and Core's processing bookkeeping is left to the processing panel.
import type { AssetDetail } from './review-types.js';

export interface FactRow {
  label: string;
  value: string;
  href?: string;
}

type Fields = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const hh = Math.floor(m / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return hh ? `${hh}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function shutter(seconds: number): string {
  if (seconds >= 1) return `${Number(seconds.toFixed(1))} s`;
  return `1/${Math.round(1 / seconds)} s`;
}

/** `1/160 s · f/7.1 · ISO 100 · 135 mm` from whatever exposure facts exist. */
export function exposureLine(f: Fields): string {
  const parts: string[] = [];
  const t = num(f.exposure_time_s);
  if (t && t > 0) parts.push(shutter(t));
  const a = num(f.aperture_f_number);
  if (a) parts.push(`f/${Number(a.toFixed(1))}`);
  const iso = num(f.iso);
  if (iso) parts.push(`ISO ${iso}`);
  const fl = num(f.focal_length_mm);
  if (fl) parts.push(`${Number(fl.toFixed(1))} mm`);
  const ev = num(f.exposure_compensation_ev);
  if (ev) parts.push(`${ev > 0 ? '+' : ''}${Number(ev.toFixed(2))} EV`);
  return parts.join(' · ');
}

const HDR: Record<string, string> = {
  smpte2084: 'HDR10 (PQ)',
  'arib-std-b67': 'HLG',
  bt709: 'SDR (BT.709)',
};

function bitDepth(f: Fields): string | undefined {
  const pix = str(f.pixel_format);
  const m = pix && /(\d{2})(le|be)?$/.exec(pix);
  if (m) return `${m[1]}-bit`;
  if (pix && /^(yuv|nv12|rgb24|gray)/.test(pix)) return '8-bit';
  return undefined;
}

function channels(n: number): string {
  return n === 1 ? 'mono' : n === 2 ? 'stereo' : n === 6 ? '5.1' : n === 8 ? '7.1' : `${n} ch`;
}

export const FACT_KEYS_SHOWN = new Set([
  'media_format',
  'video_codec',
  'audio_codec',
  'width',
  'height',
  'fps',
  'duration_ms',
  'captured_at',
  'exposure_time_s',
  'aperture_f_number',
  'iso',
  'focal_length_mm',
  'exposure_compensation_ev',
  'camera_make',
  'camera_model',
  'lens_model',
  'recorder_model',
  'orientation',
  'bitrate_kbps',
  'sample_rate_hz',
  'channel_count',
  'bits_per_sample',
  'rotation_deg',
  'timecode_start',
  'pixel_format',
  'color_range',
  'color_space',
  'color_transfer',
  'color_primaries',
  'gps_latitude',
  'gps_longitude',
  'gps_altitude_m',
]);

export function factRows(d: AssetDetail): FactRow[] {
  const f = (d.fields ?? {}) as Fields;
  const rows: FactRow[] = [];
  const add = (label: string, value: string | undefined, href?: string) => {
    if (value) rows.push(href ? { label, value, href } : { label, value });
  };
  const exposure = exposureLine(f);
  add('Exposure', exposure);
  const make = str(f.camera_make);
  const model = str(f.camera_model);
  add(
    'Camera',
    make && model && !model.toLowerCase().startsWith(make.toLowerCase().split(' ')[0]!)
      ? `${make} ${model}`
      : (model ?? make),
  );
  add('Lens', str(f.lens_model));
  add('Recorder', str(f.recorder_model));
  if (d.summary.duration) add('Duration', formatDuration(d.summary.duration));
  const w = num(f.width);
  const h = num(f.height);
  if (w && h) add('Resolution', `${w} × ${h}`);
  const fps = num(f.fps);
  if (fps) add('Frame rate', `${Number(fps.toFixed(3))} fps`);
  const video = [str(f.video_codec)?.toUpperCase(), bitDepth(f)].filter(Boolean).join(' · ');
  add('Video', video || undefined);
  const transfer = str(f.color_transfer);
  if (transfer) add('Transfer', HDR[transfer] ?? transfer);
  add('Timecode start', str(f.timecode_start));
  const audio = [
    str(f.audio_codec)?.toUpperCase(),
    num(f.channel_count) ? channels(num(f.channel_count)!) : undefined,
    num(f.sample_rate_hz) ? `${Number((num(f.sample_rate_hz)! / 1000).toFixed(1))} kHz` : undefined,
    num(f.bits_per_sample) ? `${num(f.bits_per_sample)}-bit` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  add('Audio', audio || undefined);
  add('Format', str(f.media_format));
  const kbps = num(f.bitrate_kbps);
  if (kbps) add('Bitrate', kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mb/s` : `${kbps} kb/s`);
  if (d.summary.captured_at) add('Captured', new Date(d.summary.captured_at).toLocaleString());
  const lat = d.gps_latitude ?? num(f.gps_latitude);
  const lon = d.gps_longitude ?? num(f.gps_longitude);
  if (lat !== undefined && lat !== null && lon !== undefined && lon !== null) {
    add(
      'Location',
      `${lat.toFixed(5)}, ${lon.toFixed(5)}`,
      `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`,
    );
  }
  for (const [k, v] of Object.entries(f)) {
    if (FACT_KEYS_SHOWN.has(k) || k.startsWith('processing_')) continue;
    if (v === null || v === undefined || v === '') continue;
    const label = k.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
    add(label, Array.isArray(v) ? v.join(', ') : String(v));
  }
  return rows;
}
