// Generates edge-case media with ffmpeg for the processing tests (short clips, fast presets).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lavfi, videoWithTone, X264_FAST } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';
import { runFfmpeg } from '../tools/ffmpeg.js';

/**
 * Sets the display matrix of the first track of an MP4 to a clockwise rotation, the way phones
 * record portrait video. ffmpeg 5.1 can no longer write this (`-metadata rotate` was removed and
 * `-display_rotation` arrived in 6.0), so we patch the `tkhd` matrix in place.
 */
export function setMp4Rotation(path: string, clockwiseDeg: 90 | 180 | 270): void {
  const buf = readFileSync(path);
  const at = buf.indexOf('tkhd', 0, 'latin1');
  if (at < 4) throw new Error(`no tkhd box in ${path}`);
  const version = buf[at + 4];
  // Matrix offset after the box type: version/flags 4, times+ids 20 (v0) or 32 (v1), reserved 8, 8 more.
  const matrix = at + 4 + 4 + (version === 1 ? 32 : 20) + 8 + 8;
  const one = 0x10000;
  const [a, b, c, d] =
    clockwiseDeg === 90
      ? [0, one, -one, 0]
      : clockwiseDeg === 180
        ? [-one, 0, 0, -one]
        : [0, -one, one, 0];
  buf.writeInt32BE(a, matrix);
  buf.writeInt32BE(b, matrix + 4);
  buf.writeInt32BE(0, matrix + 8);
  buf.writeInt32BE(c, matrix + 12);
  buf.writeInt32BE(d, matrix + 16);
  buf.writeInt32BE(0, matrix + 20);
  writeFileSync(path, buf);
}

type Fixture = (dir: string) => Promise<string>;

/** Runs ffmpeg with `args` writing `dir/name`, and returns that path. */
async function generate(dir: string, name: string, args: string[]): Promise<string> {
  const p = join(dir, name);
  await runFfmpeg([...args, p]);
  return p;
}

export const fixtures = {
  /** 2 s 640×360 landscape with a 90° display rotation (a portrait phone clip) + AAC. */
  portraitPhone: async (dir) => {
    const p = await generate(
      dir,
      'portrait.mp4',
      videoWithTone('testsrc2=d=2:s=640x360:r=30', 'sine=d=2'),
    );
    setMp4Rotation(p, 90);
    return p;
  },
  /** Variable frame rate MP4: 30 fps base, every 3rd frame kept except 1–2 s (avg ≈ 17 fps). */
  vfr: (dir) =>
    generate(dir, 'vfr.mp4', [
      ...lavfi('testsrc2=d=3:s=320x240:r=30'),
      '-vf',
      "select='not(mod(n\\,3))+between(n\\,30\\,60)'",
      '-fps_mode',
      'vfr',
      ...X264_FAST,
    ]),
  /** Short 4K UHD clip. */
  uhd: (dir) =>
    generate(dir, 'uhd.mp4', videoWithTone('testsrc2=d=1:s=3840x2160:r=25', 'sine=d=1')),
  /** Video without audio. */
  noAudio: (dir) =>
    generate(dir, 'silent-video.mp4', [...lavfi('testsrc2=d=2:s=320x240:r=25'), ...X264_FAST]),
  /** One second clip. */
  oneSecond: (dir) =>
    generate(dir, 'one-second.mov', videoWithTone('testsrc2=d=1:s=320x240:r=24', 'sine=d=1')),
  /** Anamorphic DV-like 720×576 with 16:11 pixels (displays 1047×576 wide). */
  anamorphic: (dir) =>
    generate(dir, 'anamorphic.mp4', [
      ...lavfi('testsrc2=d=1:s=720x576:r=25'),
      '-vf',
      'setsar=16/11',
      ...X264_FAST,
    ]),
  /** Interlaced-looking 10-bit HEVC with two audio tracks and a data track is covered by samples;
   * here: two video + two audio streams, only the first of each must be used. */
  multiTrack: (dir) =>
    generate(dir, 'multitrack.mkv', [
      ...lavfi(
        'testsrc2=d=1:s=320x240:r=25',
        'testsrc=d=1:s=160x120:r=25',
        'sine=d=1:f=440',
        'sine=d=1:f=880',
      ),
      ...['0', '1', '2', '3'].flatMap((input) => ['-map', input]),
      ...X264_FAST,
      '-c:a',
      'aac',
    ]),
  /** Audio-only MP4 container. */
  audioOnlyMp4: (dir) => generate(dir, 'audio-only.mp4', [...lavfi('sine=d=2'), '-c:a', 'aac']),
  /** 5.1 FLAC. */
  surround51: (dir) =>
    generate(dir, 'surround.flac', [
      ...lavfi('sine=d=2'),
      '-af',
      'pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0',
      '-c:a',
      'flac',
    ]),
  /** 24-bit WAV stereo. */
  wav24: (dir) =>
    generate(dir, 'tone24.wav', [...lavfi('sine=d=2:r=48000'), '-ac', '2', '-c:a', 'pcm_s24le']),
  /** 1 hour of a cheap low-rate tone (8 kHz mono 8-bit) — waveform only. */
  hourAudio: (dir) =>
    generate(dir, 'hour.wav', [...lavfi('sine=f=50:d=3600:r=8000'), '-c:a', 'pcm_u8']),
} satisfies Record<string, Fixture>;
