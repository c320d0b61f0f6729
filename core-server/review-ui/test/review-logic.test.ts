// The review page's pure logic in Node: the write queue's ordering and ETag chaining (the fix
// for lost fast keys and false "changed by someone else"), human facts, source timecode, and the
// rating/label tag conventions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposureLine, factRows } from '../src/facts-format.js';
import type { AssetDetail } from '../src/review-types.js';
import { formatFrames, parseTimecode, sourceTimecodeAt } from '../src/timecode.js';
import {
  freeTags,
  labelOf,
  ratingOf,
  withFreeTags,
  withLabel,
  withRating,
} from '../src/tag-conventions.js';
import { WriteQueue } from '../src/write-queue.js';

test('write queue: writes run one at a time in order, each with the ETag the previous write returned', async () => {
  const q = new WriteQueue();
  q.noteRead('a', '"a.1"', q.readToken());
  const seen: string[] = [];
  let running = 0;
  const write = (label: string) =>
    q.run('a', async (etag) => {
      running++;
      assert.equal(running, 1, 'never two writes at once');
      seen.push(`${label}@${etag}`);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      const rev = Number(/\.(\d+)"$/.exec(etag)![1]) + 1;
      return { etag: `"a.${rev}"`, value: label };
    });
  const results = await Promise.all([write('keep'), write('reject'), write('clear')]);
  assert.deepEqual(results, ['keep', 'reject', 'clear']);
  assert.deepEqual(seen, ['keep@"a.1"', 'reject@"a.2"', 'clear@"a.3"']);
  assert.equal(q.etagOf('a'), '"a.4"');
});

test('write queue: a read that started before our write landed cannot roll the ETag back; a failed write does not block the next', async () => {
  const q = new WriteQueue();
  const staleToken = q.readToken();
  await q.run('a', async () => ({ etag: '"a.5"', value: null }));
  q.noteRead('a', '"a.4"', staleToken);
  assert.equal(q.etagOf('a'), '"a.5"');
  assert.equal(q.isFresh('a', staleToken), false);
  const freshToken = q.readToken();
  assert.equal(q.isFresh('a', freshToken), true);
  await assert.rejects(q.run('a', async () => Promise.reject(new Error('412'))));
  assert.equal(await q.run('a', async () => ({ etag: '"a.6"', value: 'ok' })), 'ok');
  await q.drain();
  assert.equal(q.pending, 0);
});

test('facts in human terms: exposure, camera and lens, video and audio lines, GPS link', () => {
  assert.equal(
    exposureLine({
      exposure_time_s: 0.00625,
      aperture_f_number: 7.1,
      iso: 100,
      focal_length_mm: 135,
    }),
    '1/160 s · f/7.1 · ISO 100 · 135 mm',
  );
  assert.equal(exposureLine({ exposure_time_s: 2 }), '2 s');
  const d = {
    summary: {
      uuid: 'u',
      media_type: 'VIDEO',
      state: 'DECISION_PENDING',
      created_at: '',
      updated_at: '',
      revision_etag: '"u.1"',
      duration: 75,
    },
    fields: {
      camera_make: 'Canon',
      camera_model: 'Canon EOS R5',
      width: 3840,
      height: 2160,
      fps: 23.976,
      video_codec: 'hevc',
      pixel_format: 'yuv422p10le',
      color_transfer: 'smpte2084',
      audio_codec: 'pcm_s24le',
      channel_count: 2,
      sample_rate_hz: 48000,
      bits_per_sample: 24,
      processing_jobs_total: 3,
    },
    gps_latitude: 50.85,
    gps_longitude: 4.35,
    paths: { storage_id: 's', original_relative: 'INBOX/a.mov' },
  } as unknown as AssetDetail;
  const rows = Object.fromEntries(factRows(d).map((r) => [r.label, r]));
  assert.equal(rows.Camera!.value, 'Canon EOS R5');
  assert.equal(rows.Resolution!.value, '3840 × 2160');
  assert.equal(rows['Frame rate']!.value, '23.976 fps');
  assert.equal(rows.Video!.value, 'HEVC · 10-bit');
  assert.equal(rows.Transfer!.value, 'HDR10 (PQ)');
  assert.equal(rows.Audio!.value, 'PCM_S24LE · stereo · 48 kHz · 24-bit');
  assert.equal(rows.Duration!.value, '1:15');
  assert.match(rows.Location!.href!, /openstreetmap\.org\/\?mlat=50\.85&mlon=4\.35/);
  assert.equal(rows['Processing jobs total'], undefined, 'bookkeeping stays out of the facts');
});

test('source timecode: start + playhead, frame accurate', () => {
  const start = parseTimecode('10:00:00:00', 25);
  assert.equal(sourceTimecodeAt(start, 0, 25), '10:00:00:00');
  assert.equal(sourceTimecodeAt(start, 1.5, 25), '10:00:01:12');
  assert.equal(sourceTimecodeAt(null, 61.04, 25), '00:01:01:01');
  assert.equal(formatFrames(25 * 3600 - 1, 25), '00:59:59:24');
  assert.equal(parseTimecode('01:00:00;02', 29.97)?.dropFrame, true);
  assert.equal(parseTimecode('nonsense', 25), null);
});

test('ratings and colour labels are tags; free tags keep them', () => {
  let tags = withRating(['sunset'], 4);
  assert.equal(ratingOf(tags), 4);
  tags = withRating(tags, 2);
  assert.deepEqual(tags, ['sunset', 'rating:2']);
  tags = withLabel(tags, 'red');
  assert.equal(labelOf(tags), 'red');
  assert.equal(labelOf(withLabel(tags, 'red')), null, 'same colour again toggles it off');
  tags = [...tags, 'retaia:processing-failed'];
  assert.deepEqual(freeTags(tags), ['sunset']);
  assert.deepEqual(withFreeTags(tags, ['beach', ' harbour ']).sort(), [
    'beach',
    'harbour',
    'label:red',
    'rating:2',
  ]);
  assert.equal(ratingOf(withRating(tags, 0)), 0);
});
