// Facts that ffprobe can tell about a video or audio file (streams, container tags).
import { extname } from 'node:path';
import type { FactsPatch } from '@retaia/protocol';
import { isMotionVideo } from '../media-kind.js';
import type { ProbeResult, ProbeStream } from '../tools/ffmpeg.js';

/** "30000/1001" → 29.97; undefined for 0/0 or nonsense. */
export function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d] = rate.split('/').map(Number);
  if (!n || !d || !Number.isFinite(n / d) || n / d <= 0 || n / d > 1000) return undefined;
  return n / d;
}

/** Clockwise degrees to turn the stored picture upright (0, 90, 180, 270). */
export function rotationDegrees(s: ProbeStream): number | undefined {
  const tag = s.tags?.rotate;
  let deg: number | undefined;
  if (tag !== undefined && Number.isFinite(Number(tag))) deg = Number(tag);
  else {
    // The display matrix rotation is counter-clockwise; invert it.
    const r = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
    if (r !== undefined) deg = -r;
  }
  if (deg === undefined) return undefined;
  return (((Math.round(deg / 90) * 90) % 360) + 360) % 360;
}

const QT_FAMILY = /(^|,)(mov|mp4)(,|$)/;

/** A short container name: mp4, mov, m4a, mkv, webm, wav, mp3, flac, … */
export function mediaFormat(probe: ProbeResult, path: string): string | undefined {
  const name = probe.format.format_name;
  if (!name) return undefined;
  const ext = extname(path).slice(1).toLowerCase();
  if (QT_FAMILY.test(name)) {
    const brand = probe.format.tags?.major_brand?.trim();
    if (brand === 'qt') return 'mov';
    if (['mp4', 'm4a', 'm4v', 'mov', '3gp'].includes(ext)) return ext;
    return 'mp4';
  }
  if (name.includes('matroska')) return ext === 'webm' ? 'webm' : 'mkv';
  if (name.startsWith('wav') || name === 'w64') return 'wav';
  return name.split(',')[0];
}

/** ISO 6709 "+48.8584+002.2945+035.000/" → coordinates. */
export function parseIso6709(
  v: string | undefined,
): { lat: number; lon: number; alt?: number } | undefined {
  const m = v && /^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?/.exec(v.trim());
  if (!m) return undefined;
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  return m[3] !== undefined ? { lat, lon, alt: Number(m[3]) } : { lat, lon };
}

/** A real capture time, as RFC 3339; ignores the 1904/1970 "zero" dates some muxers write. */
export function normalizeDate(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const d = new Date(v.trim());
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1980) return undefined;
  return d.toISOString().replace('.000Z', 'Z');
}

function firstTag(probe: ProbeResult, keys: string[]): string | undefined {
  const sources = [probe.format.tags, ...probe.streams.map((s) => s.tags)];
  for (const k of keys) {
    for (const t of sources) {
      const v = t?.[k];
      if (v !== undefined && String(v).trim() !== '') return String(v).trim();
    }
  }
  return undefined;
}

export function factsFromProbe(probe: ProbeResult, path: string): FactsPatch {
  const f: FactsPatch = {};
  const video = probe.streams.find(isMotionVideo);
  const audio = probe.streams.find((s) => s.codec_type === 'audio');

  const duration =
    probe.format.duration ?? Math.max(0, ...probe.streams.map((s) => s.duration ?? 0));
  if (duration && Number.isFinite(duration) && duration > 0)
    f.duration_ms = Math.round(duration * 1000);
  const format = mediaFormat(probe, path);
  if (format) f.media_format = format;
  if (probe.format.bit_rate && Number.isFinite(probe.format.bit_rate))
    f.bitrate_kbps = Math.round(probe.format.bit_rate / 1000);

  if (video) {
    if (video.codec_name) f.video_codec = video.codec_name;
    if (video.width) f.width = video.width;
    if (video.height) f.height = video.height;
    const fps = parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate);
    if (fps) f.fps = Math.round(fps * 1000) / 1000;
    const rot = rotationDegrees(video);
    if (rot !== undefined) f.rotation_deg = rot;
    if (video.pix_fmt) f.pixel_format = video.pix_fmt;
    if (video.color_range && video.color_range !== 'unknown') f.color_range = video.color_range;
    if (video.color_space && video.color_space !== 'unknown') f.color_space = video.color_space;
    if (video.color_transfer && video.color_transfer !== 'unknown')
      f.color_transfer = video.color_transfer;
    if (video.color_primaries && video.color_primaries !== 'unknown')
      f.color_primaries = video.color_primaries;
  }
  if (audio) {
    if (audio.codec_name) f.audio_codec = audio.codec_name;
    if (audio.sample_rate) f.sample_rate_hz = Math.round(audio.sample_rate);
    if (audio.channels) f.channel_count = audio.channels;
    const bits = audio.bits_per_sample || audio.bits_per_raw_sample;
    if (bits && Number.isFinite(bits)) f.bits_per_sample = Math.round(bits);
  }

  const timecode = firstTag(probe, ['timecode']);
  if (timecode && /^\d{2}:\d{2}:\d{2}[:;.]\d{2,3}$/.test(timecode)) f.timecode_start = timecode;

  // Apple's creationdate carries the local offset; creation_time is the muxing UTC time.
  const captured =
    normalizeDate(firstTag(probe, ['com.apple.quicktime.creationdate'])) ??
    normalizeDate(firstTag(probe, ['creation_time', 'date']));
  if (captured) f.captured_at = captured;

  const make = firstTag(probe, ['com.apple.quicktime.make', 'com.android.manufacturer', 'make']);
  const model = firstTag(probe, ['com.apple.quicktime.model', 'com.android.model', 'model']);
  if (make) f.camera_make = make;
  if (model) f.camera_model = model;
  const loc = parseIso6709(firstTag(probe, ['com.apple.quicktime.location.ISO6709', 'location']));
  if (loc) {
    f.gps_latitude = loc.lat;
    f.gps_longitude = loc.lon;
    if (loc.alt !== undefined) f.gps_altitude_m = loc.alt;
  }

  const dji = probe.streams.filter(
    (s) =>
      s.codec_type === 'data' &&
      (s.codec_tag_string === 'djmd' || /dji/i.test(s.tags?.handler_name ?? '')),
  );
  if (dji.length) {
    f.has_dji_metadata_track = true;
    f.dji_metadata_track_types = [...new Set(dji.map((s) => s.codec_tag_string ?? 'data'))];
  }
  return f;
}

/**
 * True when the file holds clearly fewer bytes than its streams need for the announced
 * duration: a truncated copy whose header (MP3 Xing/VBRI frame count, MP4 index) still
 * announces the full length. Streams without a known bit rate never trigger it.
 */
export function looksTruncated(probe: ProbeResult, sizeBytes: number): boolean {
  const duration = probe.format.duration;
  if (!duration || !Number.isFinite(duration) || duration <= 0) return false;
  const rates = probe.streams
    .filter((s) => s.codec_type === 'audio' || s.codec_type === 'video')
    .map((s) => s.bit_rate);
  if (!rates.length || rates.some((r) => !r || !Number.isFinite(r))) return false;
  const neededBytes = (rates.reduce((a, r) => a! + r!, 0)! * duration) / 8;
  return sizeBytes < neededBytes * 0.9;
}

/** 217_000 → "3:37", 12_500 → "0:12.5", 122_122 → "2:02.1". */
export function formatClock(ms: number): string {
  const tenths = Math.round(ms / 100);
  const m = Math.floor(tenths / 600);
  const rest = tenths - m * 600;
  const s =
    rest % 10 === 0 ? String(rest / 10).padStart(2, '0') : (rest / 10).toFixed(1).padStart(4, '0');
  return `${m}:${s}`;
}
