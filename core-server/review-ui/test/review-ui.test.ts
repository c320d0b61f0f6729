// The built review UI in real Chromium against a fake Core on loopback HTTP: login, lists and
// counts, detail with a real H.264 proxy seeking through Range requests, waveform, keyboard
// decisions with If-Match (and a 412), profile choice, apply-with-dry-run moving real files,
// purge with confirmation. Screenshots land in test-artifacts/screenshots/review-*.png.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReviewUi } from '../../src/web/review-ui-build.js';
import { FAKE_USER, FakeCoreApi, makeMedia, type LoggedRequest } from './fake-core-api.js';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SHOTS = path.join(REPO, 'test-artifacts/screenshots');
const skip = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}`
  : !existsSync('/usr/bin/ffmpeg')
    ? 'no ffmpeg at /usr/bin/ffmpeg'
    : false;

const U = {
  sunset: 'a1000000-0000-4000-8000-000000000001',
  harbour: 'a1000000-0000-4000-8000-000000000002',
  photo: 'a1000000-0000-4000-8000-000000000003',
  interview: 'a1000000-0000-4000-8000-000000000004',
  keep: 'a1000000-0000-4000-8000-000000000005',
  reject: 'a1000000-0000-4000-8000-000000000006',
  rejected: 'a1000000-0000-4000-8000-000000000007',
  archived: 'a1000000-0000-4000-8000-000000000008',
  processing: 'a1000000-0000-4000-8000-000000000009',
};

let browser: Browser;
let page: Page;
let api: FakeCoreApi;
let workDir: string;
let h264 = true;

async function shot(name: string) {
  await page.screenshot({ path: path.join(SHOTS, `review-${name}.png`) });
}

function patches(uuid?: string): LoggedRequest[] {
  return api.requests.filter(
    (r) => r.method === 'PATCH' && (!uuid || r.path === `/api/v1/assets/${uuid}`),
  );
}

async function waitFor<T>(fn: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  if (skip) return;
  await mkdir(SHOTS, { recursive: true });
  workDir = await mkdtemp(path.join(tmpdir(), 'retaia-review-ui-'));
  const dist = await buildReviewUi(
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
    path.join(workDir, 'dist'),
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  h264 = await page.evaluate(
    () => document.createElement('video').canPlayType('video/mp4; codecs="avc1.64001F"') !== '',
  );
  const media = await makeMedia(workDir, h264);
  api = new FakeCoreApi(dist, media);
  const video = { video: media.video, thumbs: media.thumbs, waveform: media.waveform };
  const facts = {
    media_format: 'mp4',
    video_codec: 'h264',
    width: 640,
    height: 360,
    fps: 25,
    audio_codec: 'aac',
  };
  api.add({
    uuid: U.sunset,
    name: 'A001_C003_sunset.mp4',
    media_type: 'VIDEO',
    state: 'DECISION_PENDING',
    profile: 'video_standard',
    duration: 6,
    original_relative: 'INBOX/2025-06/A001_C003_sunset.mp4',
    sidecars_relative: ['INBOX/2025-06/A001_C003_sunset.srt'],
    derived: video,
    fields: facts,
    transcript: 'The light over the bay is perfect right now, keep rolling.',
    created_at: '2025-06-03T10:00:00.000Z',
  });
  api.add({
    uuid: U.harbour,
    name: 'A001_C004_harbour.mp4',
    media_type: 'VIDEO',
    state: 'DECISION_PENDING',
    profile: 'video_standard',
    duration: 6,
    original_relative: 'INBOX/2025-06/A001_C004_harbour.mp4',
    sidecars_relative: [],
    derived: video,
    fields: facts,
    created_at: '2025-06-02T10:00:00.000Z',
  });
  api.add({
    uuid: U.photo,
    name: 'DSC_0042.jpg',
    media_type: 'PHOTO',
    state: 'DECISION_PENDING',
    profile: 'photo_standard',
    duration: null,
    original_relative: 'INBOX/2025-06/DSC_0042.jpg',
    sidecars_relative: ['INBOX/2025-06/DSC_0042.xmp'],
    derived: { photo: media.photo },
    fields: { media_format: 'jpeg', width: 960, height: 640, camera_make: 'NIKON' },
    created_at: '2025-06-01T10:00:00.000Z',
  });
  api.add({
    uuid: U.interview,
    name: 'interview_take2.wav',
    media_type: 'AUDIO',
    state: 'REVIEW_PENDING_PROFILE',
    profile: 'audio_undefined',
    duration: 5,
    original_relative: 'INBOX/audio/interview_take2.wav',
    sidecars_relative: [],
    derived: { audio: media.audio, waveform: media.waveform },
    fields: { media_format: 'wav', audio_codec: 'pcm_f32le', sample_rate_hz: 48000 },
    created_at: '2025-05-30T10:00:00.000Z',
  });
  api.add({
    uuid: U.keep,
    name: 'B002_C001.mp4',
    media_type: 'VIDEO',
    state: 'DECIDED_KEEP',
    profile: 'video_standard',
    duration: 6,
    original_relative: 'INBOX/2025-06/B002_C001.mp4',
    sidecars_relative: [],
    derived: video,
    fields: facts,
    created_at: '2025-05-29T10:00:00.000Z',
  });
  api.add({
    uuid: U.reject,
    name: 'old_take.mov',
    media_type: 'VIDEO',
    state: 'DECIDED_REJECT',
    profile: 'video_standard',
    duration: 12,
    original_relative: 'INBOX/2025-06/old_take.mov',
    sidecars_relative: [],
    derived: {},
    fields: {},
    created_at: '2025-05-28T10:00:00.000Z',
  });
  api.add({
    uuid: U.rejected,
    name: 'blurry.jpg',
    media_type: 'PHOTO',
    state: 'REJECTED',
    profile: 'photo_standard',
    duration: null,
    original_relative: 'REJECTS/2025-05/blurry.jpg',
    sidecars_relative: ['REJECTS/2025-05/blurry.xmp'],
    derived: { photo: media.photo },
    fields: {},
    created_at: '2025-05-27T10:00:00.000Z',
  });
  api.add({
    uuid: U.archived,
    name: 'keeper.mp4',
    media_type: 'VIDEO',
    state: 'ARCHIVED',
    profile: 'video_standard',
    duration: 6,
    original_relative: 'ARCHIVE/2025-05/keeper.mp4',
    sidecars_relative: [],
    derived: video,
    fields: facts,
    created_at: '2025-05-26T10:00:00.000Z',
  });
  api.add({
    uuid: U.processing,
    name: 'new_card.mp4',
    media_type: 'VIDEO',
    state: 'PROCESSING_REVIEW',
    profile: 'video_standard',
    duration: null,
    original_relative: 'INBOX/new_card.mp4',
    sidecars_relative: [],
    derived: {},
    fields: {},
    created_at: '2025-05-25T10:00:00.000Z',
  });
  await api.start();
  // A file already sits where old_take.mov would go: the dry run must announce a rename.
  await mkdir(path.join(api.storage.root, 'REJECTS/2025-06'), { recursive: true });
  await (
    await import('node:fs/promises')
  ).writeFile(path.join(api.storage.root, 'REJECTS/2025-06/old_take.mov'), 'older');
});

after(async () => {
  await browser?.close();
  await api?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test(
  'login: wrong password is explained, right one lands on the review list',
  { skip },
  async () => {
    await page.goto(`${api.baseUrl}/review/`);
    await page.getByLabel('Email').fill(FAKE_USER.email);
    await page.getByLabel('Password').fill('nope');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email or password.').waitFor();
    await shot('login');
    await page.getByLabel('Password').fill(FAKE_USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.asset-item').first().waitFor();
    const login = api.requests.filter((r) => r.path === '/api/v1/auth/login').at(-1)!;
    assert.deepEqual(login.body, {
      email: FAKE_USER.email,
      password: FAKE_USER.password,
      client_kind: 'UI_WEB',
    });
    assert.equal(
      await page.evaluate(() => sessionStorage.getItem('retaia.review.token')),
      'user-token-7f3a',
    );
  },
);

test('tabs show counts per state and the list holds the to-review assets', { skip }, async () => {
  const tabText = async (id: string) =>
    (await page.locator(`[data-tab="${id}"]`).innerText()).replace(/\s+/g, ' ');
  assert.equal(await tabText('review'), 'To review 3');
  assert.equal(await tabText('profile'), 'Needs profile 1');
  assert.equal(await tabText('keep'), 'Keep 1');
  assert.equal(await tabText('reject'), 'Reject 1');
  assert.equal(await tabText('rejected'), 'Rejected 1');
  assert.equal(await tabText('processing'), 'Processing 1');
  assert.deepEqual(await page.locator('.asset-item .item-name').allInnerTexts(), [
    'A001_C003_sunset.mp4',
    'A001_C004_harbour.mp4',
    'DSC_0042.jpg',
  ]);
  const list = api.requests.find((r) => r.path.startsWith('/api/v1/assets?'))!;
  assert.match(list.path, /state=DECISION_PENDING%2CREVIEW_PENDING_PROFILE|state=[A-Z_,%2C]+/);
  assert.equal(list.headers.authorization, 'Bearer user-token-7f3a');
  await page.getByText('Keep', { exact: false }).first().waitFor();
  await page.keyboard.press('?');
  const legend = await page.locator('dialog.shortcut-sheet').innerText();
  for (const s of ['Keep', 'Reject', 'Clear decision', 'Previous asset', 'Next asset'])
    assert.ok(legend.includes(s), s);
  await page.keyboard.press('Escape');
  await page.locator('dialog.shortcut-sheet').waitFor({ state: 'detached' });
});

test(
  'detail: the video proxy plays and seeks through authenticated Range requests',
  { skip },
  async (t) => {
    if (!h264)
      t.diagnostic('Chromium here lacks H.264: seek test runs on a VP9/Opus WebM fallback');
    const mode = await page.evaluate(() => document.documentElement.dataset.mediaAuth);
    assert.equal(
      mode,
      'service-worker',
      'loopback is a secure context: media auth via service worker',
    );
    const video = page.locator('video.player');
    await video.waitFor();
    await page.waitForFunction(
      () =>
        ((document.querySelector('video.player') as HTMLVideoElement | null)?.readyState ?? 0) >= 1,
    );
    const seeked = await page.evaluate(async () => {
      const v = document.querySelector('video.player') as HTMLVideoElement;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no seeked event')), 8000);
        v.addEventListener(
          'seeked',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
        v.currentTime = 4.2;
      });
      if (v.readyState < 2)
        await new Promise((r) => v.addEventListener('loadeddata', r, { once: true }));
      return { currentTime: v.currentTime, readyState: v.readyState, duration: v.duration };
    });
    assert.ok(seeked.readyState >= 2, `readyState ${seeked.readyState}`);
    assert.ok(Math.abs(seeked.currentTime - 4.2) < 0.05, `currentTime ${seeked.currentTime}`);
    assert.ok(Math.abs(seeked.duration - 6) < 0.2, `duration ${seeked.duration}`);
    const videoGets = api.requests.filter(
      (r) => r.path === `/api/v1/assets/${U.sunset}/derived/preview_video`,
    );
    assert.ok(videoGets.length > 0);
    assert.ok(
      videoGets.every((r) => r.headers.authorization === 'Bearer user-token-7f3a'),
      'bearer added by the service worker',
    );
    assert.ok(
      videoGets.some((r) => r.headers.range && r.status === 206),
      'Range requests answered 206',
    );

    // Thumbnails (10, one request each) and a waveform actually drawn on the canvas.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('.thumb-strip img')].filter(
          (i) => (i as HTMLImageElement).naturalWidth > 0,
        ).length === 10,
    );
    const inked = await page.evaluate(() => {
      const c = document.querySelector('canvas.waveform') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n / (c.width * c.height);
    });
    assert.ok(inked > 0.05, `waveform covers ${inked} of the canvas`);
    assert.match(await page.locator('.facts').innerText(), /Video\s+H264/);
    assert.match(await page.locator('.transcript').innerText(), /light over the bay/);
    await page.evaluate(() => (document.querySelector('video.player') as HTMLVideoElement).pause());
    await shot('detail-video');
  },
);

test('keyboard decisions send PATCH with the current ETag in If-Match', { skip }, async () => {
  const etagOf = (uuid: string) => api.etag(api.assets.get(uuid)!);
  const before = etagOf(U.sunset);
  await page.keyboard.press('p');
  const p1 = await waitFor(() => patches(U.sunset)[0], 'keep PATCH');
  assert.deepEqual(p1.body, { state: 'DECIDED_KEEP' });
  assert.equal(p1.headers['if-match'], before);
  assert.equal(p1.status, 200);
  // Auto-advance to the next asset, then reject it.
  await page.locator('.detail h2', { hasText: 'A001_C004_harbour.mp4' }).waitFor();
  const harbourEtag = etagOf(U.harbour);
  await page.keyboard.press('x');
  const p2 = await waitFor(() => patches(U.harbour)[0], 'reject PATCH');
  assert.deepEqual(p2.body, { state: 'DECIDED_REJECT' });
  assert.equal(p2.headers['if-match'], harbourEtag);
  await page.locator('.detail h2', { hasText: 'DSC_0042.jpg' }).waitFor();
  await page.locator('.stage img.photo').waitFor();
  await shot('detail-photo');
  // Back with j / ArrowLeft, then clear with u.
  await page.keyboard.press('ArrowLeft');
  await page.locator('.detail h2', { hasText: 'A001_C004_harbour.mp4' }).waitFor();
  await page.keyboard.press('u');
  const p3 = await waitFor(() => patches(U.harbour)[1], 'clear PATCH');
  assert.deepEqual(p3.body, { state: 'DECISION_PENDING' });
  await page.locator('.detail-head .badge', { hasText: 'To review' }).waitFor();
  assert.equal(
    p3.headers['if-match'],
    etagOf(U.harbour).replace(/r(\d+)"$/, (_, n) => `r${Number(n) - 1}"`),
  );
  await page.keyboard.press('ArrowLeft');
  await page.locator('.detail h2', { hasText: 'A001_C003_sunset.mp4' }).waitFor();
  await page.keyboard.press('ArrowRight');
  await page.locator('.detail h2', { hasText: 'A001_C004_harbour.mp4' }).waitFor();
  assert.equal(
    (await page.locator('[data-tab="keep"]').innerText()).replace(/\s+/g, ' '),
    'Keep 2',
  );
});

test(
  'a stale ETag (412) re-fetches the asset and tells the user; the retry succeeds',
  { skip },
  async () => {
    api.touch(U.harbour); // someone else edits the asset
    const stale = api
      .etag(api.assets.get(U.harbour)!)
      .replace(/r(\d+)"$/, (_, n) => `r${Number(n) - 1}"`);
    const n = patches(U.harbour).length;
    const gets = api.requests.filter(
      (r) => r.method === 'GET' && r.path === `/api/v1/assets/${U.harbour}`,
    ).length;
    await page.keyboard.press('x');
    const p = await waitFor(() => patches(U.harbour)[n], '412 PATCH');
    assert.equal(p.headers['if-match'], stale);
    assert.equal(p.status, 412);
    await page.getByText('was changed by someone else').waitFor();
    await waitFor(
      () =>
        api.requests.filter((r) => r.method === 'GET' && r.path === `/api/v1/assets/${U.harbour}`)
          .length > gets || undefined,
      're-fetch',
    );
    await shot('stale-412');
    // The page moved on to the next asset (culling flow): come back and decide again.
    await page.keyboard.press('ArrowLeft');
    await page.locator('.detail h2', { hasText: 'A001_C004_harbour.mp4' }).waitFor();
    await page.keyboard.press('x');
    const retry = await waitFor(() => patches(U.harbour)[n + 1], 'retry PATCH');
    assert.equal(retry.status, 200);
    assert.equal(
      retry.headers['if-match'],
      stale.replace(/r(\d+)"$/, (_, k) => `r${Number(k) + 1}"`),
    );
    assert.equal(api.assets.get(U.harbour)!.state, 'DECIDED_REJECT');
  },
);

test('audio needing a profile: waveform + player, voice chosen with v', { skip }, async () => {
  await page.locator('[data-tab="profile"]').click();
  await page.locator('.detail h2', { hasText: 'interview_take2.wav' }).waitFor();
  await page.locator('audio.player').waitFor();
  await page.waitForFunction(
    () => (document.querySelector('audio.player') as HTMLAudioElement).readyState >= 1,
  );
  await page.locator('.profile-choice').waitFor();
  await page.waitForFunction(
    () => ((document.querySelector('canvas.waveform') as HTMLCanvasElement | null)?.width ?? 0) > 0,
  );
  await shot('detail-audio-profile');
  const etag = api.etag(api.assets.get(U.interview)!);
  await page.keyboard.press('v');
  const p = await waitFor(() => patches(U.interview)[0], 'profile PATCH');
  assert.deepEqual(p.body, { processing_profile: 'audio_voice' });
  assert.equal(p.headers['if-match'], etag);
});

test(
  'apply decisions: dry run lists moves and the collision, confirm moves real files',
  { skip },
  async () => {
    await page.locator('[data-tab="review"]').click();
    await page.keyboard.press('a');
    const dialog = page.locator('dialog.apply-dialog');
    await dialog.waitFor();
    const dry = api.requests.find((r) => r.path === '/api/v1/ops/decisions/apply')!;
    assert.deepEqual(dry.body, { dry_run: true });
    const text = await dialog.innerText();
    assert.match(text, /2 to ARCHIVE, 2 to REJECTS, 1 renamed because of a name collision/);
    assert.match(
      text,
      /INBOX\/2025-06\/A001_C003_sunset\.srt\s*→\s*ARCHIVE\/2025-06\/A001_C003_sunset\.srt/,
    );
    assert.match(text, /REJECTS\/2025-06\/old_take__[0-9a-z]{6}\.mov\s*RENAMED/i);
    assert.equal(
      existsSync(path.join(api.storage.root, 'INBOX/2025-06/A001_C003_sunset.mp4')),
      true,
      'dry run moved nothing',
    );
    await shot('apply-dry-run');
    await dialog.getByRole('button', { name: /Move 4 assets/ }).click();
    await dialog.waitFor({ state: 'detached' });
    const apply = api.requests.filter((r) => r.path === '/api/v1/ops/decisions/apply')[1]!;
    assert.equal((apply.body as { dry_run: boolean }).dry_run, false);
    assert.deepEqual(
      new Set((apply.body as { asset_uuids: string[] }).asset_uuids),
      new Set([U.sunset, U.harbour, U.keep, U.reject]),
    );
    assert.ok(apply.headers['idempotency-key']);
    const root = api.storage.root;
    for (const f of [
      'ARCHIVE/2025-06/A001_C003_sunset.mp4',
      'ARCHIVE/2025-06/A001_C003_sunset.srt',
      'REJECTS/2025-06/A001_C004_harbour.mp4',
      'ARCHIVE/2025-06/B002_C001.mp4',
      'REJECTS/2025-06/old_take.mov',
    ]) {
      assert.ok(existsSync(path.join(root, f)), f);
    }
    assert.equal(api.assets.get(U.sunset)!.state, 'ARCHIVED');
    assert.equal(api.assets.get(U.reject)!.state, 'REJECTED');
    assert.match(
      api.assets.get(U.reject)!.original_relative,
      /^REJECTS\/2025-06\/old_take__[0-9a-z]{6}\.mov$/,
    );
    await page.getByText('4 assets moved.').waitFor();
    assert.equal(
      (await page.locator('[data-tab="archived"]').innerText()).replace(/\s+/g, ' '),
      'Archived 3',
    );
    await shot('after-apply');
  },
);

test('purge: preview in a confirmation dialog, typed name, files deleted', { skip }, async () => {
  await page.locator('[data-tab="rejected"]').click();
  await page.locator('.asset-item', { hasText: 'blurry.jpg' }).click();
  await page.locator('.detail h2', { hasText: 'blurry.jpg' }).waitFor();
  await page.getByRole('button', { name: 'Purge…' }).click();
  const dialog = page.locator('dialog.purge-dialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /REJECTS\/2025-05\/blurry\.xmp/);
  const confirm = dialog.getByRole('button', { name: 'Purge forever' });
  assert.equal(await confirm.isDisabled(), true);
  await dialog.getByLabel('Type the asset name to confirm').fill('blurry.jpg');
  await shot('purge-confirm');
  const etag = api.etag(api.assets.get(U.rejected)!);
  await confirm.click();
  const purge = await waitFor(
    () => api.requests.find((r) => r.path === `/api/v1/assets/${U.rejected}/purge`),
    'purge POST',
  );
  assert.deepEqual(purge.body, { confirm: true });
  assert.equal(purge.headers['if-match'], etag);
  await page.getByText('Purged “blurry.jpg”').waitFor();
  assert.equal(api.assets.get(U.rejected)!.state, 'PURGED');
  assert.equal(existsSync(path.join(api.storage.root, 'REJECTS/2025-05/blurry.jpg')), false);
});

test('dark theme and the shortcut sheet', { skip }, async () => {
  await page.locator('[data-tab="archived"]').click();
  await page.locator('.asset-item', { hasText: 'A001_C003_sunset.mp4' }).click();
  await page.locator('.detail h2', { hasText: 'A001_C003_sunset.mp4' }).waitFor();
  await page.getByRole('button', { name: 'Toggle theme' }).click();
  await page.keyboard.press('?');
  await page.locator('dialog.shortcut-sheet').waitFor();
  await shot('shortcut-sheet');
  await page.keyboard.press('Escape');
  await page.locator('dialog.shortcut-sheet').waitFor({ state: 'detached' });
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.thumb-strip img')].every(
      (i) => (i as HTMLImageElement).complete,
    ),
  );
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await shot('dark');
  // Deciding an archived asset is refused client-side with guidance (no PATCH sent).
  const n = patches().length;
  await page.keyboard.press('p');
  await page.getByText('reopen it before deciding again').waitFor();
  assert.equal(patches().length, n);
});
