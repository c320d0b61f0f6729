// The daemon's default processing resolves ffmpeg from the config first (ffmpeg_path /
// ffprobe_path), read again at each detection so a config change applies without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITIES } from '@retaia/protocol';
import { validateAgentConfig } from '../src/config/config-schema.js';
import { createDefaultProcessing } from '../src/runtime/default-processing.js';
import { resolveFfmpegBinaries } from '../src/processing/tools/ffmpeg.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

test('config: ffmpeg_path/ffprobe_path are optional absolute paths', () => {
  assert.equal(validateAgentConfig({ ffmpeg_path: '/opt/ff/ffmpeg' }).ok, true);
  const bad = validateAgentConfig({ ffmpeg_path: 'ffmpeg', ffprobe_path: '' });
  assert.equal(bad.ok, false);
  const fields = bad.ok ? [] : bad.problems.map((p) => p.field);
  assert.deepEqual(fields.sort(), ['ffmpeg_path', 'ffprobe_path']);
});

test('default processing detects with the configured ffmpeg, and follows a config change', async () => {
  const system = resolveFfmpegBinaries();
  let paths: { ffmpegPath?: string; ffprobePath?: string } = {
    ffmpegPath: '/nonexistent/ffmpeg',
    ffprobePath: system.ffprobe,
  };
  const processing = await createDefaultProcessing(makeTempDir('rdp-'), {
    toolPaths: () => paths,
  });
  try {
    const broken = await processing.detectCapabilities();
    assert.ok(!broken.capabilities.includes(CAPABILITIES.facts));
    assert.ok(
      broken.problems.some((p) => p.includes('configured path /nonexistent/ffmpeg')),
      broken.problems.join('\n'),
    );
    paths = { ffmpegPath: system.ffmpeg, ffprobePath: system.ffprobe };
    const fixed = await processing.detectCapabilities();
    assert.ok(fixed.capabilities.includes(CAPABILITIES.facts), fixed.problems.join('\n'));
    assert.deepEqual((await processing.listModels()).models, []);
  } finally {
    await processing.close();
  }
});
