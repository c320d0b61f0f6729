import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPABILITIES } from '@retaia/protocol';
import { createProcessors, detectMediaCapabilities } from './registry.js';

test('createProcessors: one processor per media job type, keyed by its own jobType', () => {
  const map = createProcessors();
  assert.deepEqual([...map.keys()].sort(), [
    'extract_facts',
    'generate_audio_waveform',
    'generate_preview',
    'generate_thumbnails',
  ]);
  for (const [type, p] of map) assert.equal(p.jobType, type);
});

test('detectMediaCapabilities declares every media capability when ffmpeg and sharp work', async () => {
  const r = await detectMediaCapabilities();
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.capabilities,
    [
      CAPABILITIES.facts,
      CAPABILITIES.previewVideo,
      CAPABILITIES.previewAudio,
      CAPABILITIES.previewPhoto,
      CAPABILITIES.thumbnails,
      CAPABILITIES.waveform,
    ].sort(),
  );
  assert.match(r.ffmpeg!.version, /ffmpeg version/);
});

test('detectMediaCapabilities without ffmpeg: no ffmpeg capability, a clear problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'retaia-nocaps-'));
  try {
    const r = await detectMediaCapabilities({ ffmpegPath: join(dir, 'ffmpeg') });
    assert.deepEqual(r.capabilities, [CAPABILITIES.previewPhoto]);
    assert.ok(r.problems.some((p) => /ffmpeg/.test(p)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
