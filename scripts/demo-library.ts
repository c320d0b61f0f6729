// Generates a small mixed media library (video with and without audio, voice and music audio,
// photos, sidecars) with ffmpeg, for the quick start's demo storage and the whole-system tests.
// This is fixture tooling, not the agent: it calls the ffmpeg binary directly on purpose.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { videoWithTone, X264_FAST } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';

const run = promisify(execFile);

export interface DemoFile {
  /** Path relative to the INBOX folder. */
  relative: string;
  mediaType: 'VIDEO' | 'AUDIO' | 'PHOTO';
  hasAudio?: boolean;
  sidecars?: string[];
}

const ffmpeg = process.env.FFMPEG_PATH ?? 'ffmpeg';

/** Runs ffmpeg quietly with overwrite on; fixture generation only. */
export async function runFfmpegFixture(args: string[]): Promise<void> {
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

export interface DemoLibraryOptions {
  /** Duration of generated clips, seconds (short keeps tests fast). */
  seconds?: number;
  /** Prefix added to every file name (lets tests create many distinct assets). */
  prefix?: string;
}

/** Writes the demo files under `inboxDir` (created when missing) and returns what it wrote. */
export async function createDemoLibrary(
  inboxDir: string,
  opts: DemoLibraryOptions = {},
): Promise<DemoFile[]> {
  const s = String(opts.seconds ?? 4);
  const p = opts.prefix ?? '';
  const shoot = join(inboxDir, `${p}shoot-day-1`);
  const audio = join(inboxDir, `${p}sound`);
  const photos = join(inboxDir, `${p}photos`);
  await Promise.all([shoot, audio, photos].map((d) => mkdir(d, { recursive: true })));

  const files: DemoFile[] = [];
  const video = (name: string) => join(shoot, name);
  await runFfmpegFixture([
    ...videoWithTone(
      `testsrc2=size=1280x720:rate=25:duration=${s}`,
      `sine=frequency=440:sample_rate=48000:duration=${s}`,
    ),
    video(`${p}A001_interview.mp4`),
  ]);
  await writeFile(video(`${p}A001_interview.srt`), '1\n00:00:00,000 --> 00:00:02,000\nHello\n');
  files.push({
    relative: `${p}shoot-day-1/${p}A001_interview.mp4`,
    mediaType: 'VIDEO',
    hasAudio: true,
    sidecars: [`${p}shoot-day-1/${p}A001_interview.srt`],
  });

  await runFfmpegFixture([
    '-f',
    'lavfi',
    '-i',
    `mandelbrot=size=640x360:rate=25`,
    '-t',
    s,
    ...X264_FAST,
    '-an',
    video(`${p}A002_broll_silent.mov`),
  ]);
  files.push({
    relative: `${p}shoot-day-1/${p}A002_broll_silent.mov`,
    mediaType: 'VIDEO',
    hasAudio: false,
  });

  await runFfmpegFixture([
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=220:sample_rate=44100:duration=${s}`,
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    join(audio, `${p}ambience.mp3`),
  ]);
  files.push({ relative: `${p}sound/${p}ambience.mp3`, mediaType: 'AUDIO' });

  await runFfmpegFixture([
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=color=pink:sample_rate=48000:duration=${s}:amplitude=0.2`,
    '-c:a',
    'pcm_s24le',
    join(audio, `${p}room-tone.wav`),
  ]);
  files.push({ relative: `${p}sound/${p}room-tone.wav`, mediaType: 'AUDIO' });

  await runFfmpegFixture([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1600x1200:rate=1',
    '-frames:v',
    '1',
    '-q:v',
    '3',
    join(photos, `${p}IMG_0001.jpg`),
  ]);
  await writeFile(
    join(photos, `${p}IMG_0001.xmp`),
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>\n',
  );
  files.push({
    relative: `${p}photos/${p}IMG_0001.jpg`,
    mediaType: 'PHOTO',
    sidecars: [`${p}photos/${p}IMG_0001.xmp`],
  });

  await runFfmpegFixture([
    '-f',
    'lavfi',
    '-i',
    'smptehdbars=size=1200x800:rate=1',
    '-frames:v',
    '1',
    join(photos, `${p}IMG_0002.png`),
  ]);
  files.push({ relative: `${p}photos/${p}IMG_0002.png`, mediaType: 'PHOTO' });
  return files;
}
