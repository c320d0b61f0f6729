// Tiny real media for whole-system tests that need many assets: one of each kind, copied.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { videoWithTone } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';
import { runFfmpegFixture as ff } from '../../scripts/demo-library.js';

export interface SmallMedia {
  video: string;
  audio: string;
  photo: string;
}

/** Writes a 1-second 320×240 video with audio, a 1-second MP3 and a JPEG into `dir`. */
export async function makeSmallMedia(dir: string, seconds = 1): Promise<SmallMedia> {
  await mkdir(dir, { recursive: true });
  const media = { video: join(dir, 'v.mp4'), audio: join(dir, 'a.mp3'), photo: join(dir, 'p.jpg') };
  await ff([
    ...videoWithTone(
      `testsrc2=size=320x240:rate=25:duration=${seconds}`,
      `sine=frequency=330:duration=${seconds}`,
    ),
    media.video,
  ]);
  await ff([
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=500:duration=${seconds}`,
    '-c:a',
    'libmp3lame',
    media.audio,
  ]);
  await ff(['-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=1', '-frames:v', '1', media.photo]);
  return media;
}

/** Copies `count` of each kind into `inboxDir` under distinct names; returns the total. */
export async function fillInbox(
  inboxDir: string,
  media: SmallMedia,
  count: number,
): Promise<number> {
  for (let i = 0; i < count; i++) {
    await copyFile(media.video, join(inboxDir, `clip-${i}.mp4`));
    await copyFile(media.audio, join(inboxDir, `sound-${i}.mp3`));
    await copyFile(media.photo, join(inboxDir, `photo-${i}.jpg`));
  }
  return count * 3;
}
