// Search (GET /assets?q=) answers the same on SQLite (FTS5) and PostgreSQL (tsvector + GIN):
// every word a prefix term, all words required, each in the name, the transcript or the notes,
// case and accents ignored, punctuation splitting words, a word of punctuation only ignored next
// to others.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FEATURE_FLAGS } from '@retaia/protocol';
import type { CoreStore } from '../../src/store/core-store.js';
import { ALL_CAPABILITIES, newAsset } from './fixtures.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

const flags = { [FEATURE_FLAGS.transcribeAudio]: true };

/** An audio asset whose transcription job completed with `text`. */
async function transcribed(store: CoreStore, i: number, name: string, text: string) {
  const a = newAsset(i, { media_type: 'AUDIO', profile: 'audio_voice', name });
  await store.applyScan({ inserts: [a], updates: [], ready: [a.uuid] }, flags, 1000);
  const job = (await store.listAssetJobs(a.uuid)).find((j) => j.job_type === 'transcribe_audio')!;
  const { job: claimed } = await store.claimJob({
    jobId: job.job_id,
    agentId: 'agent-1',
    effectiveCapabilities: ALL_CAPABILITIES,
    flags,
    nowMs: 2000,
    leaseTtlMs: 60_000,
  });
  await store.completeJob({
    jobId: job.job_id,
    agentId: 'agent-1',
    lockToken: claimed.lock_token!,
    fencingToken: claimed.fencing_token,
    nowMs: 3000,
    jobType: 'transcribe_audio',
    transcript: { status: 'DONE', text },
    flags,
  });
  return a.uuid;
}

// query → names of the assets it must find (sorted)
const CASES: [string, string[]][] = [
  ['interview', ['Interview_Mayor-2024.wav', 'notes.wav']],
  ['INTERV', ['Interview_Mayor-2024.wav', 'notes.wav']],
  ['mayor', ['Interview_Mayor-2024.wav']],
  ['2024', ['Interview_Mayor-2024.wav']],
  ['mayor-20', ['Interview_Mayor-2024.wav']],
  ['interview mayor', ['Interview_Mayor-2024.wav']],
  ['interview budget', ['notes.wav']],
  ['cafe', ['Café crème.jpg']],
  ['CRÈME café', ['Café crème.jpg']],
  ['clip_01.mo', ['clip_01.mov']],
  ['01', ['clip_01.mov']],
  ['lip', []],
  ['view', []],
  ['---', []],
  ['--- clip', ['clip_01.mov']],
  ['"clip', ['clip_01.mov']],
  ["it's", []],
  ['budget council', ['notes.wav']],
  ['council budget', ['notes.wav']],
  ['city-council', ['notes.wav']],
  ['council-city', []],
  ['mayor budget', []],
  ['', ['Café crème.jpg', 'Interview_Mayor-2024.wav', 'clip_01.mov', 'notes.wav']],
];

for (const b of backends) {
  test(
    `[${b.name}] search: prefix words, all required, name or transcript, accents and case folded`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      await store.applyScan(
        {
          inserts: [
            newAsset(1, {
              name: 'Interview_Mayor-2024.wav',
              media_type: 'AUDIO',
              profile: 'audio_music',
            }),
            newAsset(2, { name: 'Café crème.jpg' }),
            newAsset(3, { name: 'clip_01.mov', media_type: 'VIDEO', profile: 'video_standard' }),
          ],
          updates: [],
          ready: [],
        },
        {},
        1000,
      );
      await transcribed(store, 4, 'notes.wav', 'The interview covers the city-council budget.');
      for (const [q, expected] of CASES) {
        const found = await store.listAssets({ q, limit: 50, offset: 0 });
        assert.deepEqual(found.map((a) => a.name).sort(), expected, `q=${JSON.stringify(q)}`);
      }
      // Notes are searched too, and a word may match the name while another matches the notes.
      const names = async (q: string) =>
        (await store.listAssets({ q, limit: 50, offset: 0 })).map((a) => a.name).sort();
      const clip = (await store.listAssets({ q: 'clip', limit: 1, offset: 0 }))[0]!;
      const noted = await store.patchAsset({
        uuid: clip.uuid,
        expectedRevision: clip.revision,
        nowMs: 5000,
        by: 'op',
        patch: { notes: 'Sunset over the HARBOUR, drone shot' },
        flags,
      });
      assert.deepEqual(await names('sunset'), ['clip_01.mov']);
      assert.deepEqual(await names('clip drone'), ['clip_01.mov']);
      assert.deepEqual(await names('harbour'), ['clip_01.mov']);
      assert.deepEqual(await names('interview drone'), []);
      await store.patchAsset({
        uuid: clip.uuid,
        expectedRevision: noted.revision,
        nowMs: 6000,
        by: 'op',
        patch: { notes: null },
        flags,
      });
      assert.deepEqual(await names('sunset'), [], 'cleared notes are not found any more');
    },
  );
}
