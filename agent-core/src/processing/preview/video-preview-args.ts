// The ffmpeg command of the video preview profile (docs/protocol.md#job-types-and-outputs preview_video), kept as a pure
// function so the bench can run the very same encode with bare ffmpeg.
import { parseRate } from '../facts/probe-facts.js';
import { isMotionVideo } from '../media-kind.js';
import { sourceInputArgs, type ProbeResult } from '../tools/ffmpeg.js';
import { toneMapFilters } from '../tools/hdr.js';
import { encoderArgs, type VideoEncoderName } from './video-encoder.js';

export const VIDEO_PREVIEW_PROFILE = {
  maxHeight: 720,
  crf: 23,
  /** x264 speed/size trade-off; veryfast keeps small agents (Pi, laptops) near real time at 720p. */
  preset: 'veryfast',
  /**
   * On top of veryfast: sub-pixel refinement by SAD only (subme=1, superfast's). Measured on
   * 1080p→720p with CPU time and SSIM against the source (docs/media-engine.md): 13–18 % less
   * CPU than plain veryfast, SSIM +0.00003 to +0.0003 (not lower), files 2–14 % larger.
   */
  x264Params: 'subme=1',
  keyframeIntervalS: 2,
  audioBitrateK: 128,
  /** Frame rates above this are halved-ish to it (e.g. 120 fps slow-mo sources). */
  maxFps: 60,
} as const;

const INTERLACED = new Set(['tt', 'bb', 'tb', 'bt']);

/** A frame rate as an exact ffmpeg rational, or undefined when unknown. */
function outputRate(v: NonNullable<ReturnType<typeof findVideo>>): string | undefined {
  const avg = parseRate(v.avg_frame_rate);
  const real = parseRate(v.r_frame_rate);
  // VFR (phones): r_frame_rate is the base rate every timestamp fits on (e.g. 30 while the
  // average sags to 17); encoding at it keeps every frame and duplicates in slow stretches.
  // When r_frame_rate is a timebase-like value (1000/1, 90000/1) or missing, use the average.
  const useReal =
    real !== undefined && real <= VIDEO_PREVIEW_PROFILE.maxFps && (!avg || real >= avg * 0.9);
  const pick = useReal ? real : (avg ?? real);
  if (!pick) return undefined;
  if (pick > VIDEO_PREVIEW_PROFILE.maxFps) return String(VIDEO_PREVIEW_PROFILE.maxFps);
  // Snap near-standard rates (29.97 etc.) to their exact rational to avoid drift.
  for (const std of ['24000/1001', '30000/1001', '60000/1001', '24', '25', '30', '50', '60']) {
    const r = parseRate(std.includes('/') ? std : `${std}/1`)!;
    if (Math.abs(r - pick) < 0.01) return std;
  }
  return useReal ? v.r_frame_rate! : avg ? v.avg_frame_rate! : v.r_frame_rate!;
}

function findVideo(probe: ProbeResult) {
  return probe.streams.find(isMotionVideo);
}

export interface VideoPreviewPlan {
  args: string[];
  durationMs?: number;
  hasAudio: boolean;
  fps?: string;
}

/** The preview encode in pieces, so a combined pass (asset-pass/) can place them in its graph. */
export interface VideoPreviewParts {
  /** Before the input (hardware device set-up). */
  inputArgs: string[];
  /** The video filter chain, from the decoded frame to the encoder's input. */
  filters: string[];
  /** Video codec options (after `-map`). */
  videoArgs: string[];
  /** AAC options, or undefined when the source has no audio. */
  audioArgs?: string[];
  durationMs?: number;
  fps?: string;
}

export function videoPreviewParts(
  probe: ProbeResult,
  profile: { preset?: string; encoder?: VideoEncoderName } = {},
): VideoPreviewParts {
  const v = findVideo(probe);
  if (!v) throw new Error('no video stream');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  const fps = outputRate(v);
  const fpsNum = fps ? parseRate(fps.includes('/') ? fps : `${fps}/1`)! : 25;
  const gop = Math.max(1, Math.round(fpsNum * VIDEO_PREVIEW_PROFILE.keyframeIntervalS));
  const h = VIDEO_PREVIEW_PROFILE.maxHeight;

  const filters: string[] = [];
  if (v.field_order && INTERLACED.has(v.field_order)) filters.push('bwdif=mode=send_frame');
  // ffmpeg has already applied the display rotation (autorotate). Then square the pixels
  // (anamorphic sources) and cap the height at 720 without ever upscaling, even sizes for 4:2:0.
  filters.push(
    `scale=w='trunc(iw*sar*min(${h},ih)/ih/2+0.5)*2':h='trunc(min(${h},ih)/2+0.5)*2':flags=bicubic`,
    'setsar=1',
  );
  // HDR (PQ/HLG) sources: tone-mapped to SDR BT.709 after the downscale (cheaper at 720p).
  filters.push(...toneMapFilters(v));
  // The fps filter makes the output CFR by itself (duplicating/dropping frames of VFR sources);
  // no `-fps_mode`, which ffmpeg 4.x (Ubuntu 22.04) does not know.
  if (fps) filters.push(`fps=${fps}`);
  filters.push('format=yuv420p');
  const preset = profile.preset ?? VIDEO_PREVIEW_PROFILE.preset;
  const encoder = encoderArgs(profile.encoder ?? 'libx264', {
    crf: VIDEO_PREVIEW_PROFILE.crf,
    x264Preset: preset,
    // Tuned for the profile's preset only; a test's `ultrafast` stays plain.
    ...(preset === VIDEO_PREVIEW_PROFILE.preset
      ? { x264Params: VIDEO_PREVIEW_PROFILE.x264Params }
      : {}),
  });
  filters.push(...encoder.filterTail);
  const videoArgs = [
    ...encoder.codecArgs,
    '-g',
    String(gop),
    '-keyint_min',
    String(Math.min(gop, Math.max(1, Math.round(fpsNum / 2)))),
    '-color_primaries',
    'bt709',
    '-color_trc',
    'bt709',
    '-colorspace',
    'bt709',
  ];
  const durationMs = probe.format.duration ? Math.round(probe.format.duration * 1000) : undefined;
  return {
    inputArgs: encoder.inputArgs,
    filters,
    videoArgs,
    ...(audio ? { audioArgs: aacArgs(audio.channels, audio.sample_rate) } : {}),
    ...(durationMs ? { durationMs } : {}),
    ...(fps ? { fps } : {}),
  };
}

/** Options every preview output carries: no metadata, chapters, subtitles or data streams. */
export const PREVIEW_STRIP_ARGS = ['-map_metadata', '-1', '-map_chapters', '-1', '-sn', '-dn'];
/** The preview's container: MP4 with the index up front (plays while downloading). */
export const PREVIEW_MP4_ARGS = ['-movflags', '+faststart', '-f', 'mp4'];

export function videoPreviewArgs(
  source: string,
  output: string,
  probe: ProbeResult,
  profile: { preset?: string; encoder?: VideoEncoderName } = {},
): VideoPreviewPlan {
  const parts = videoPreviewParts(probe, profile);
  const args = [...parts.inputArgs, ...sourceInputArgs(source), '-map', '0:v:0'];
  if (parts.audioArgs) args.push('-map', '0:a:0');
  args.push(...PREVIEW_STRIP_ARGS, '-vf', parts.filters.join(','), ...parts.videoArgs);
  if (parts.audioArgs) args.push(...parts.audioArgs);
  args.push(...PREVIEW_MP4_ARGS, output);
  return {
    args,
    hasAudio: Boolean(parts.audioArgs),
    ...(parts.durationMs ? { durationMs: parts.durationMs } : {}),
    ...(parts.fps ? { fps: parts.fps } : {}),
  };
}

/** AAC-LC: mono stays mono, everything wider is downmixed to stereo, 44.1 or 48 kHz. */
export function aacArgs(channels: number | undefined, sampleRate: number | undefined): string[] {
  const ch = channels === 1 ? 1 : 2;
  const rate = sampleRate === 44100 ? 44100 : 48000;
  const kbps = ch === 1 ? 96 : VIDEO_PREVIEW_PROFILE.audioBitrateK;
  return [
    '-c:a',
    'aac',
    '-profile:a',
    'aac_low',
    '-b:a',
    `${kbps}k`,
    '-ac',
    String(ch),
    '-ar',
    String(rate),
  ];
}
