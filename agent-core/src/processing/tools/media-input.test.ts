// The crafted-playlist attack, performed for real: a "video" in the mount that is an HLS
// playlist (or a concat list) pointing at a private media file outside the mount. Every
// processor must refuse it (non-retryable, saying why) and produce nothing; the private file's
// frames and sound must never come out. Control: the same processors on the same media placed
// legitimately in the mount do produce derivatives, so a refusal is not a broken setup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobType } from '@retaia/protocol';
import { RECOGNISABLE_RECORDING } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';
import { ExtractFactsProcessor } from '../facts/extract-facts.js';
import { GeneratePreviewProcessor } from '../preview/generate-preview.js';
import { ProcessingError, type Processor, type ProcessorContext } from '../processor.js';
import { GenerateThumbnailsProcessor } from '../thumbnails/generate-thumbnails.js';
import { GenerateWaveformProcessor } from '../waveform/generate-waveform.js';
import {
  decodePcm,
  extractVideoFrame,
  measureReadableDurationMs,
  probeMedia,
  resolveFfmpegBinaries,
  runFfmpeg,
} from './ffmpeg.js';
import { packageBinary } from './ffmpeg-binaries.js';
import { assertSourceIsOnlyInput, sourceInputArgs } from './media-input.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-media-input-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const secretDir = join(root, 'home-alice');
const mount = join(root, 'mount');
mkdirSync(secretDir);
mkdirSync(mount);

/** The private recording: magenta frames and a 1234 Hz tone, easy to recognise if leaked. */
async function makeSecret(name: string, extra: string[]): Promise<string> {
  const p = join(secretDir, name);
  await runFfmpeg([...RECOGNISABLE_RECORDING, ...extra, p]);
  return p;
}

const secrets = (async () => ({
  ts: await makeSecret('private.ts', ['-c:v', 'mpeg2video', '-c:a', 'mp2', '-f', 'mpegts']),
  mp4: await makeSecret('private.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac']),
}))();

const processors: Processor[] = [
  new ExtractFactsProcessor(),
  new GeneratePreviewProcessor({ x264Preset: 'ultrafast' }),
  new GenerateThumbnailsProcessor(),
  new GenerateWaveformProcessor(),
];

function ctx(sourcePath: string, jobType: JobType): ProcessorContext {
  const workDir = mkdtempSync(join(root, `work-${jobType}-`));
  return {
    jobId: 'job-attack',
    jobType,
    assetUuid: 'asset-attack',
    mediaType: 'VIDEO',
    sourcePath,
    sidecarPaths: [],
    workDir,
    signal: new AbortController().signal,
    onProgress: () => {},
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
}

function hlsPlaylist(target: string): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-TARGETDURATION:10',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXTINF:3.0,',
    `file://${target}`,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

async function expectRefusedEverywhere(source: string, what: RegExp) {
  for (const p of processors) {
    const c = ctx(source, p.jobType);
    await assert.rejects(
      p.run(c),
      (e: unknown) => {
        assert.ok(e instanceof ProcessingError, `${p.jobType}: ${String(e)}`);
        assert.equal(e.code, 'MEDIA_FORMAT_REFUSED', `${p.jobType}: ${e.code} ${e.message}`);
        assert.equal(e.retryable, false, p.jobType);
        assert.match(e.message, what, p.jobType);
        assert.match(e.message, /only reads the file it was given/);
        return true;
      },
      `${p.jobType} must refuse ${source}`,
    );
    assert.deepEqual(readdirSync(c.workDir), [], `${p.jobType} wrote nothing`);
  }
}

test('an HLS playlist named .mp4 pointing at a private file outside the mount is refused by every processor', async () => {
  const { ts, mp4 } = await secrets;
  const clip = join(mount, 'innocent_clip.mp4');
  writeFileSync(clip, hlsPlaylist(ts));
  await expectRefusedEverywhere(clip, /HLS playlist/);
  // Same with an MP4 segment, and with the ffmpeg concat format.
  const clip2 = join(mount, 'holiday.mov');
  writeFileSync(clip2, hlsPlaylist(mp4));
  await expectRefusedEverywhere(clip2, /HLS playlist/);
  const concat = join(mount, 'interview.mkv');
  writeFileSync(concat, `ffconcat version 1.0\nfile '${mp4}'\nfile '${ts}'\n`);
  await expectRefusedEverywhere(concat, /concat list/);
});

test('the low-level tools refuse it too: probe, PCM, frames, readable duration', async () => {
  const { ts } = await secrets;
  const clip = join(mount, 'innocent_tools.mp4');
  writeFileSync(clip, hlsPlaylist(ts));
  const refused = (e: unknown) => e instanceof ProcessingError && e.code === 'MEDIA_FORMAT_REFUSED';
  await assert.rejects(probeMedia(clip), refused);
  await assert.rejects(extractVideoFrame(clip, { atMs: 1000, width: 64 }), refused);
  await assert.rejects(measureReadableDurationMs(clip), refused);
  await assert.rejects(async () => {
    for await (const chunk of decodePcm(clip, { sampleRate: 8000, channels: 1 })) {
      assert.fail(`decoded ${chunk.length} samples of someone else's file`);
    }
  }, refused);
});

test('control: the same media placed in the mount is processed (the refusal is not a broken setup)', async () => {
  const { ts, mp4 } = await secrets;
  for (const secret of [ts, mp4]) {
    const legit = join(mount, `legit-${secret.endsWith('.ts') ? 'a.ts' : 'b.mp4'}`);
    copyFileSync(secret, legit);
    // The full set on the MP4; facts and waveform suffice to show the TS reads too.
    const set = secret === mp4 ? processors : [processors[0]!, processors[3]!];
    for (const p of set) {
      const out = await p.run(ctx(legit, p.jobType));
      if (out.type === 'facts') assert.equal(out.factsPatch.width, 320);
      else assert.ok(out.type === 'derived' && out.files.length > 0, p.jobType);
    }
    // And the frames are the magenta ones: the tools do read the real source.
    const frame = await extractVideoFrame(legit, { atMs: 1000, width: 32 });
    assert.ok(frame);
    const [r, g, b] = [frame.rgb[0]!, frame.rgb[1]!, frame.rgb[2]!];
    assert.ok(r > 200 && g < 60 && b > 200, `magenta expected, got ${r},${g},${b}`);
  }
});

test('a symlink put where the validated source was is not followed', async () => {
  const { mp4 } = await secrets;
  const link = join(mount, 'swapped.mp4');
  symlinkSync(mp4, link);
  await assert.rejects(
    probeMedia(link),
    (e: unknown) => e instanceof ProcessingError && e.code === 'MEDIA_UNREADABLE' && !e.retryable,
  );
});

test('ffmpeg arguments that name a path instead of the descriptor are rejected before spawning', async () => {
  const { mp4 } = await secrets;
  const src = join(mount, 'args.mp4');
  copyFileSync(mp4, src);
  assert.doesNotThrow(() => assertSourceIsOnlyInput(sourceInputArgs(src), src));
  assert.throws(() => assertSourceIsOnlyInput(['-i', src], src), /sourceInputArgs/);
  assert.throws(
    () => assertSourceIsOnlyInput([...sourceInputArgs(src), '-i', '/etc/passwd'], src),
    /sourceInputArgs/,
  );
  await assert.rejects(
    runFfmpeg(['-i', src, '-f', 'null', '-'], { source: src }),
    /sourceInputArgs/,
  );
});

test('the bundled ffmpeg/ffprobe build refuses the playlist the same way', async (t) => {
  let bundled;
  try {
    bundled = resolveFfmpegBinaries(
      {},
      {
        env: {},
        packageBinary: (pkg) => (pkg === 'ffmpeg-static' ? undefined : packageBinary(pkg)),
        onPath: () => undefined,
      },
    );
  } catch (err) {
    t.skip(`no bundled build on this platform: ${(err as Error).message}`);
    return;
  }
  const { mp4 } = await secrets;
  const clip = join(mount, 'innocent_bundled.mp4');
  writeFileSync(clip, hlsPlaylist(mp4));
  const refused = (e: unknown) => e instanceof ProcessingError && e.code === 'MEDIA_FORMAT_REFUSED';
  await assert.rejects(probeMedia(clip, { binaries: bundled }), refused);
  await assert.rejects(
    extractVideoFrame(clip, { atMs: 1000, width: 64, binaries: bundled }),
    refused,
  );
});
