// The renderer's pure parts in Node: config form ↔ config round trip, validation identical to
// the CLI's (same module), duplicate storage ids, and the EN/FR dictionary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateAgentConfig } from '@retaia/agent-core/config/config-schema.js';
import {
  configFromDraft,
  draftFromConfig,
  problemsFor,
  validateDraft,
} from '../../renderer/src/state/config-draft.js';
import { en, fr } from '../../renderer/src/i18n/messages.js';
import { resolveLanguage, translator } from '../../renderer/src/i18n/translate.js';

test('the form keeps fields it does not edit and writes back what it does', () => {
  const config = {
    core_url: 'https://nas.local:8443/api/v1',
    log_level: 'debug',
    storage_mounts: { 'nas-main': '/mnt/nas' },
    cpu_priority: 19,
    power_policy: { pause_on_battery: true, only_when_idle: false, respect_quiet_hours: false },
  };
  const draft = draftFromConfig(config);
  assert.equal(draft.mounts[0]?.storageId, 'nas-main');
  assert.equal(draft.pauseOnBattery, true);
  const back = configFromDraft({ ...draft, maxParallelJobs: 3 });
  assert.equal(back.log_level, 'debug');
  assert.equal(back.max_parallel_jobs, 3);
  assert.deepEqual(back.storage_mounts, { 'nas-main': '/mnt/nas' });
  assert.deepEqual(back.power_policy, config.power_policy);
  assert.deepEqual(validateDraft(draftFromConfig(config)), []);
});

test('form validation gives exactly the CLI messages, plus what a map cannot hold', () => {
  const draft = draftFromConfig({
    core_url: 'http://nas.example',
    storage_mounts: { 'bad id!': 'relative/path' },
  });
  const problems = validateDraft(draft);
  const cli = validateAgentConfig(configFromDraft(draft));
  assert.equal(cli.ok, false);
  assert.deepEqual(problems, cli.ok ? [] : cli.problems);
  assert.match(
    problemsFor(problems, 'core_url').join(),
    /plain http:\/\/ is only allowed to loopback/,
  );
  assert.equal(problemsFor(problems, 'storage_mounts.bad id!').length, 2);

  const dup = draftFromConfig({ storage_mounts: { a: '/x' } });
  dup.mounts.push({ ...dup.mounts[0]!, key: 999 });
  assert.match(problemsFor(validateDraft(dup), 'storage_mounts.a').join(), /listed twice/);
  const noId = draftFromConfig({});
  noId.mounts.push({ key: 5, storageId: '', path: '/mnt/x' });
  assert.match(problemsFor(validateDraft(noId), 'storage_mounts.#5').join(), /storage id/);
});

test('French translates every English key with the same placeholders', () => {
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    assert.deepEqual(placeholders(fr[key]), placeholders(en[key]), key);
    assert.ok(fr[key].trim().length > 0, key);
  }
});

test('language: preference first, then the system language, English otherwise', () => {
  assert.equal(resolveLanguage('fr', 'en-US'), 'fr');
  assert.equal(resolveLanguage('auto', 'fr-CA'), 'fr');
  assert.equal(resolveLanguage(undefined, 'de-DE'), 'en');
  assert.equal(translator('fr')('state.jobsRunning', { n: 3 }), '3 tâches en cours');
  assert.equal(
    translator('en')('prefs.markerOk', { id: 'nas-main' }),
    'Marker found: storage “nas-main”',
  );
});

test('video encoder: the form writes the setting back, and reads the encoder in use from diagnostics', async () => {
  const { videoEncoderInUse } = await import('../../renderer/src/state/diagnostics-lines.js');
  const draft = draftFromConfig({ video_encoder: 'software', cpu_priority: 10 });
  assert.equal(draft.videoEncoder, 'software');
  assert.equal(configFromDraft(draft).video_encoder, 'software');
  assert.equal(draftFromConfig({}).videoEncoder, 'auto', 'absent means automatic');
  assert.equal(validateAgentConfig(configFromDraft({ ...draft, videoEncoder: 'auto' })).ok, true);
  const report =
    'ffmpeg: ffmpeg version 5.1 [path] /usr/bin/ffmpeg\nvideo encoder: libx264 (software) — no working hardware encoder\ncapabilities: x';
  assert.equal(videoEncoderInUse(report), 'libx264 (software) — no working hardware encoder');
  assert.equal(videoEncoderInUse('capabilities: x'), undefined);
});

test('a model change marks the catalogue at once: an installed model is not offered again', async () => {
  const { withInstalled } = await import('../../renderer/src/state/catalogue-marks.js');
  const item = (name: string, installed: boolean) => ({
    name,
    description: '',
    sizeBytes: 1,
    installed,
  });
  const catalogue = [item('tiny', false), item('base', true), item('small', false)];
  // Only the fields the rule reads; the rest of a model view does not matter here.
  const inventory = {
    models: [
      { name: 'tiny', available: true },
      { name: 'small', available: false },
    ],
  } as unknown as Parameters<typeof withInstalled>[1];
  const marked = withInstalled(catalogue, inventory);
  assert.deepEqual(
    marked.map((i) => [i.name, i.installed]),
    [
      ['tiny', true],
      ['base', false],
      ['small', false],
    ],
  );
  assert.equal(marked[2], catalogue[2], 'unchanged rows are the same objects');
});
