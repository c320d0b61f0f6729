/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { TestAgent, startTestCore } from './support/signed-test-client.js';

const contract = loadContractValidator();

test('transcribe_audio is planned only with the flag on; the transcript is exposed and searchable', async () => {
  const core = await startTestCore({ featureFlags: { 'features.ai.transcribe_audio': true } });
  try {
    const a = await TestAgent.enrol(core.server);
    const jobs = async () => (await a.get('/jobs')).body as any[];
    // Drops a video into INBOX and submits facts showing an audio track, so the plan that
    // depends on audio (waveform, transcription) is made.
    const addVideoWithAudio = async (name: string) => {
      await writeFile(path.join(core.root, 'INBOX', name), 'v');
      await core.server.scanNow();
      await core.server.scanNow();
      const facts = (await jobs()).find((j) => j.job_type === 'extract_facts');
      const c = await a.claim(facts.job_id);
      await a.submit(facts.job_id, {
        lock_token: c.body.lock_token,
        fencing_token: 1,
        job_type: 'extract_facts',
        result: {
          facts_patch: {
            duration_ms: 1,
            media_format: 'mp4',
            video_codec: 'h264',
            audio_codec: 'aac',
            width: 2,
            height: 2,
            fps: 25,
          },
        },
      });
      return facts;
    };
    await addVideoWithAudio('interview.mp4');
    const tr = (await jobs()).find((j) => j.job_type === 'transcribe_audio');
    assert.ok(tr, 'video with audio + flag on → transcription job');
    const tc = await a.claim(tr.job_id);
    const sub = await a.submit(tr.job_id, {
      lock_token: tc.body.lock_token,
      fencing_token: 1,
      job_type: 'transcribe_audio',
      result: {
        transcript_patch: {
          status: 'DONE',
          text: 'ask not what your country can do for you',
          text_preview: 'ask not',
          language: 'en',
        },
      },
    });
    assert.equal(sub.status, 200, JSON.stringify(sub.body));
    const detail = await a.get(`/assets/${tr.asset_uuid}`);
    assert.equal(detail.body.transcript.text_preview, 'ask not');
    assert.deepEqual(contract.responseErrors('GET', '/assets/{uuid}', 200, detail.body), []);
    const hit = await a.get('/assets?q=country');
    assert.deepEqual(contract.responseErrors('GET', '/assets', 200, hit.body), []);
    assert.deepEqual(
      hit.body.items.map((i: any) => i.uuid),
      [tr.asset_uuid],
    );
    assert.equal((await a.get('/assets?q=interv')).body.items.length, 1, 'filename prefix');
    assert.equal((await a.get('/assets?q=zebra')).body.items.length, 0);

    core.server.operator.setFeatureFlag('features.ai.transcribe_audio', false);
    const f2 = await addVideoWithAudio('second.mp4');
    const planned = await core.server.context.store.listAssetJobs(f2.asset_uuid);
    assert.ok(!planned.some((j) => j.job_type === 'transcribe_audio'), 'flag off → not planned');
    assert.ok(planned.some((j) => j.job_type === 'generate_audio_waveform'));
  } finally {
    await core.dispose();
  }
});
