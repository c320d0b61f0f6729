// The diagnostics report names the ffmpeg/ffprobe that run, where they came from (configured,
// env, ffmpeg-static, path, bundled) and their versions, or why there is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packageBinary } from '../processing/tools/ffmpeg-binaries.js';
import { ffmpegDiagnostics, videoEncoderDiagnostics } from './diagnostics.js';

test('diagnostics: the ffmpeg line follows the config and says why when it is unusable', async () => {
  const here = await ffmpegDiagnostics({});
  assert.match(
    here,
    /^ffmpeg version \S+ \[(configured|env|ffmpeg-static|path|bundled)\] \S+; ffprobe version \S+ \[/,
  );

  const bundledFfmpeg = packageBinary('@ffmpeg-installer/ffmpeg');
  const bundledProbe = packageBinary('@ffprobe-installer/ffprobe');
  assert.ok(bundledFfmpeg && bundledProbe, 'the bundled builds are installed');
  const configured = await ffmpegDiagnostics({
    ffmpeg_path: bundledFfmpeg,
    ffprobe_path: bundledProbe,
  });
  assert.ok(configured.includes(`[configured] ${bundledFfmpeg}`), configured);
  assert.ok(configured.includes(`[configured] ${bundledProbe}`), configured);

  const broken = await ffmpegDiagnostics({ ffmpeg_path: '/nonexistent/ffmpeg' });
  assert.match(
    broken,
    /^unavailable — ffmpeg: configured path \/nonexistent\/ffmpeg is not an executable file/,
  );
});

test('diagnostics: the video encoder line says which encoder makes proxies and why', async () => {
  const { GeneratePreviewProcessor } = await import('../processing/preview/generate-preview.js');
  const software = await videoEncoderDiagnostics(
    new Map([['generate_preview', new GeneratePreviewProcessor({ videoEncoder: 'software' })]]),
  );
  assert.equal(software, 'libx264 (software) — software encoding chosen in settings');
  const detected = await videoEncoderDiagnostics(
    new Map([['generate_preview', new GeneratePreviewProcessor()]]),
  );
  assert.match(detected ?? '', /^(libx264 \(software\)|h264_\w+ \(hardware\)) — \S/);
  assert.equal(
    await videoEncoderDiagnostics(new Map()),
    undefined,
    'no preview processor, no line',
  );
});
