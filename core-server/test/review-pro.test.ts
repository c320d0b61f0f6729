/// <reference lib="dom" />
// The review page against the REAL core-server in Debian Chromium at 1280×720: failed assets
// (badge, filter, the agent's message, retry / reject), culling 50 photos at 10 keys/s and a
// 40 ms burst with zero lost decisions, live updates without reload, and the pro tools (grid +
// multi-select bulk keep, ratings/labels as tags, loupe, facts in human terms, source timecode,
// shortcut sheet). Screenshots: test-artifacts/screenshots/review-pro-*.png.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  CHROMIUM,
  drop,
  failAll,
  openBrowser,
  process as processAssets,
  startReviewLibrary,
  stateOf,
  type ReviewLibrary,
} from './support/review-library.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(REPO, 'test-artifacts/screenshots');
const skip = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}`
  : !existsSync('/usr/bin/ffmpeg')
    ? 'no ffmpeg at /usr/bin/ffmpeg'
    : false;

let lib: ReviewLibrary;
let browser: Browser;
let page: Page;
const toasts: string[] = [];
const photoFacts = () => ({
  media_format: 'jpeg',
  width: 6000,
  height: 4000,
  exposure_time_s: 1 / 160,
  aperture_f_number: 7.1,
  iso: 100,
  focal_length_mm: 135,
  camera_make: 'NIKON CORPORATION',
  camera_model: 'NIKON Z 6',
  lens_model: 'NIKKOR Z 70-200mm f/2.8 VR S',
  gps_latitude: 43.46715,
  gps_longitude: 11.88492,
});
const cull = Array.from({ length: 50 }, (_, i) => `cull/DSC_${String(i + 1).padStart(4, '0')}.jpg`);

const shot = (name: string) =>
  page.screenshot({ path: path.join(SHOTS, `review-pro-${name}.png`) });
const tab = (id: string) => page.locator(`[data-tab="${id}"]`);
const count = async (id: string) => Number(await tab(id).locator('.count').innerText());
const shown = (uuid: string) => page.locator(`.detail[data-uuid="${uuid}"][data-loaded="true"]`);

before(async () => {
  if (skip) return;
  await mkdir(SHOTS, { recursive: true });
  lib = await startReviewLibrary();
  const ids = await drop(lib, lib.media.jpeg, cull);
  await processAssets(lib, ids, photoFacts);
  const [empty, corrupt] = await drop(lib, lib.media.jpeg, [
    'cardB/empty.jpg',
    'cardB/corrupt.jpg',
  ]);
  await failAll(lib, empty!, 'EMPTY_FILE', 'Empty file (0 bytes)');
  await failAll(lib, corrupt!, 'IMAGE_UNREADABLE', 'Corrupt JPEG: data ends at 61 %');
  ({ browser, page } = await openBrowser(lib));
  page.on('console', (m) => {
    if (m.type() === 'error') toasts.push(`console: ${m.text()}`);
  });
  await page.exposeFunction('noteToast', (t: string) => toasts.push(t));
  await page.evaluate(() => {
    new MutationObserver((records) => {
      for (const r of records)
        for (const n of Array.from(r.addedNodes))
          (window as unknown as { noteToast(t: string): void }).noteToast(
            (n as HTMLElement).textContent ?? '',
          );
    }).observe(document.getElementById('toasts') ?? document.body, {
      childList: true,
      subtree: true,
    });
  });
});

after(async () => {
  await browser?.close();
  await lib?.dispose();
});

test(
  'a failed asset is decidable: Failed badge and tab, the agent message (not the code), reject and retry',
  { skip },
  async () => {
    assert.equal(await count('failed'), 2);
    await tab('failed').click();
    const empty = lib.uuids.get('cardB/empty.jpg')!;
    const corrupt = lib.uuids.get('cardB/corrupt.jpg')!;
    await page.locator(`.asset-item[data-uuid="${corrupt}"]`).click();
    await shown(corrupt).waitFor();
    const banner = page.locator('.failure-banner');
    assert.match(await banner.innerText(), /Corrupt JPEG: data ends at 61 %/);
    assert.doesNotMatch(await banner.innerText(), /IMAGE_UNREADABLE/);
    assert.equal(
      await page.locator(`.asset-item[data-uuid="${corrupt}"] .badge`).innerText(),
      'Failed',
    );
    assert.match(
      await page.locator('.asset-item', { hasText: 'corrupt.jpg' }).innerText(),
      /cardB\//,
    );
    await shot('failed');
    await page.keyboard.press('x');
    for (let i = 0; i < 50 && (await stateOf(lib, corrupt)) !== 'DECIDED_REJECT'; i++)
      await page.waitForTimeout(100);
    assert.equal(await stateOf(lib, corrupt), 'DECIDED_REJECT');
    await page.locator(`.asset-item[data-uuid="${empty}"]`).click();
    await shown(empty).waitFor();
    assert.match(await page.locator('.failure-banner').innerText(), /Empty file \(0 bytes\)/);
    await page.keyboard.press('r');
    for (let i = 0; i < 50 && (await stateOf(lib, empty)) !== 'READY'; i++)
      await page.waitForTimeout(100);
    assert.equal(await stateOf(lib, empty), 'READY');
    await page.getByText('Retrying “empty.jpg”').waitFor();
  },
);

test(
  'culling 50 photos at 10 keys/s, then a 40 ms burst: every decision registered, no false conflict',
  { skip },
  async () => {
    await tab('review').click();
    await page.locator('.asset-item').first().waitFor();
    const order = await page
      .locator('.asset-list .asset-item')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.uuid!));
    assert.equal(order.length, 50);
    await page.locator(`.asset-item[data-uuid="${order[0]}"]`).click();
    await page.locator('.asset-list').focus();
    const expected = new Map<string, string>();
    const keyFor = (i: number) => (i % 3 === 0 ? 'x' : 'p');
    for (let i = 0; i < 45; i++) {
      expected.set(order[i]!, keyFor(i) === 'p' ? 'DECIDED_KEEP' : 'DECIDED_REJECT');
      await page.keyboard.press(keyFor(i));
      await page.waitForTimeout(100);
    }
    for (let i = 45; i < 50; i++) {
      expected.set(order[i]!, keyFor(i) === 'p' ? 'DECIDED_KEEP' : 'DECIDED_REJECT');
      await page.keyboard.press(keyFor(i), { delay: 0 });
      await page.waitForTimeout(40);
    }
    // Same asset twice quickly: keep then reject must both land, in order (our own ETag chain).
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('p');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('x');
    expected.set(order[48]!, 'DECIDED_REJECT');
    await page.waitForFunction(() => !document.querySelector('.pending')?.textContent, undefined, {
      timeout: 30_000,
    });
    const states = new Map(
      (await lib.core.server.operator.listAssets()).map((a) => [a.uuid, a.state]),
    );
    const lost = [...expected].filter(([u, s]) => states.get(u) !== s);
    assert.deepEqual(lost, [], `${lost.length} decisions lost`);
    assert.deepEqual(
      toasts.filter((t) => /someone else|console/.test(t)),
      [],
    );
    assert.equal((await count('keep')) + (await count('reject')), 50 + 1);
    await shot('culled');
  },
);

test(
  'live: a new file appears, progresses and reaches review without a reload; selection and scroll stay',
  { skip },
  async () => {
    await tab('processing').click();
    const marker = await page.evaluate(
      () => ((window as unknown as { __noReload: boolean }).__noReload = true),
    );
    assert.equal(marker, true);
    const before = await count('review');
    const [fresh] = await drop(lib, lib.media.jpeg, ['cardC/new-arrival.jpg']);
    await page.locator(`.asset-item[data-uuid="${fresh}"]`).waitFor({ timeout: 15_000 });
    await page.locator(`.asset-item[data-uuid="${fresh}"]`).click();
    await shown(fresh!).waitFor();
    await page.locator('.processing-status').waitFor();
    // An agent takes the facts job: the page says so without a reload.
    const jobs = (await lib.agent.get('/jobs?limit=500')).body as {
      job_id: string;
      asset_uuid: string;
      job_type: string;
    }[];
    const job = jobs.find((j) => j.asset_uuid === fresh && j.job_type === 'extract_facts')!;
    const claim = await lib.agent.claim(job.job_id);
    await page
      .locator('.processing-status', { hasText: /0 of 2 jobs done · running: extract facts/ })
      .waitFor({ timeout: 15_000 });
    await shot('live-processing');
    const submitted = await lib.agent.submit(job.job_id, {
      lock_token: claim.body.lock_token,
      fencing_token: claim.body.fencing_token,
      job_type: 'extract_facts',
      result: { facts_patch: photoFacts() },
    });
    assert.equal(submitted.status, 200);
    await page
      .locator('.processing-status', { hasText: /1 of 2 jobs done/ })
      .waitFor({ timeout: 15_000 });
    await processAssets(lib, [fresh!], photoFacts);
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-tab="review"] .count')?.textContent) === n + 1,
      before,
      { timeout: 15_000 },
    );
    assert.equal(
      await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload),
      true,
      'the page reloaded',
    );
    assert.equal(await page.locator('.asset-item.current').getAttribute('data-uuid'), fresh);
  },
);

test(
  'pro tools: grid + Ctrl-click multi-select bulk keep, stars and labels as tags, loupe, facts in human terms, sheet, dark',
  { skip },
  async () => {
    const ids = await drop(lib, lib.media.jpeg, ['cardD/a.jpg', 'cardD/b.jpg', 'cardD/c.jpg']);
    await processAssets(lib, ids, photoFacts);
    await tab('review').click();
    await page.locator(`.asset-item[data-uuid="${ids[0]}"]`).waitFor({ timeout: 15_000 });
    await page.keyboard.press('g');
    await page.locator('.asset-list.grid').waitFor();
    await page.locator(`.asset-item[data-uuid="${ids[0]}"]`).click();
    await page.locator(`.asset-item[data-uuid="${ids[1]}"]`).click({ modifiers: ['Control'] });
    await page.locator(`.asset-item[data-uuid="${ids[2]}"]`).click({ modifiers: ['Control'] });
    await page.locator('.bulk-bar:not([hidden])').waitFor();
    assert.match(await page.locator('.bulk-bar').innerText(), /3 selected/);
    assert.equal(
      (await page.locator('.asset-item.grid img, .asset-list.grid .thumb img').count()) > 0,
      true,
    );
    await shot('grid-multiselect');
    await page.keyboard.press('p');
    for (let i = 0; i < 50; i++) {
      const s = await Promise.all(ids.map((u) => stateOf(lib, u!)));
      if (s.every((x) => x === 'DECIDED_KEEP')) break;
      await page.waitForTimeout(100);
    }
    assert.deepEqual(await Promise.all(ids.map((u) => stateOf(lib, u!))), [
      'DECIDED_KEEP',
      'DECIDED_KEEP',
      'DECIDED_KEEP',
    ]);
    await page.keyboard.press('Escape');
    await page.keyboard.press('g');

    await tab('keep').click();
    await page.locator(`.asset-item[data-uuid="${ids[1]}"]`).click();
    await shown(ids[1]!).waitFor();
    const facts = await page.locator('.facts').innerText();
    assert.match(facts, /1\/160 s · f\/7\.1 · ISO 100 · 135 mm/);
    assert.match(facts, /NIKON Z 6/);
    assert.match(facts, /NIKKOR Z 70-200mm/);
    assert.match(
      (await page.locator('.facts a').getAttribute('href')) ?? '',
      /openstreetmap\.org\/\?mlat=43\.46715/,
    );
    assert.match(await page.locator('.detail-head').innerText(), /cardD\//);
    await page.keyboard.press('3');
    await page.keyboard.press('6');
    await page.waitForFunction(() => !document.querySelector('.pending')?.textContent, undefined, {
      timeout: 10_000,
    });
    const tags = (await lib.core.server.operator.listAssets()).find((a) => a.uuid === ids[1])!.tags;
    assert.deepEqual([...tags].sort(), ['label:red', 'rating:3']);
    await page.locator('.photo-frame img.photo').waitFor();
    await page.keyboard.press('z');
    await page.locator('.photo-frame.loupe').waitFor();
    const natural = await page
      .locator('.photo-frame.loupe img')
      .evaluate((i) => [(i as HTMLImageElement).naturalWidth, i.getBoundingClientRect().width]);
    assert.equal(natural[0], natural[1], 'loupe shows the preview at 100 %');
    await shot('loupe');
    await page.keyboard.press('z');
    await page.keyboard.press('c');
    await page.locator('.stage.compare .compare-other img').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.stage.compare img.photo').count(), 2);
    await shot('compare');
    await page.keyboard.press('c');
    await page.keyboard.press('?');
    await page.locator('dialog.shortcut-sheet').waitFor();
    assert.match(await page.locator('dialog.shortcut-sheet').innerText(), /Keep \(pick\)/);
    await shot('shortcut-sheet');
    await page.locator('dialog.shortcut-sheet').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Toggle theme' }).click();
    await shot('keep-dark');
    await page.getByRole('button', { name: 'Toggle theme' }).click();
  },
);

test(
  'video: source timecode from timecode_start, J/K/L and frame steps, arrows stay in the focused player',
  { skip },
  async () => {
    const [clip] = await drop(lib, lib.media.mp4, ['cardE/A001_C003.mp4']);
    await processAssets(lib, [clip!], () => ({
      media_format: 'mp4',
      duration_ms: 4000,
      video_codec: 'h264',
      width: 640,
      height: 360,
      fps: 25,
      timecode_start: '01:00:00:00',
      pixel_format: 'yuv420p10le',
      color_transfer: 'arib-std-b67',
    }));
    await tab('review').click();
    await page.locator(`.asset-item[data-uuid="${clip}"]`).click({ timeout: 15_000 });
    await shown(clip!).waitFor();
    await page.waitForFunction(
      () => ((document.querySelector('video.player') as HTMLVideoElement)?.readyState ?? 0) >= 1,
      undefined,
      { timeout: 15_000 },
    );
    assert.equal(await page.locator('.timecode').innerText(), '01:00:00:00');
    await page.keyboard.press('.');
    await page.keyboard.press('.');
    await page.waitForFunction(
      () => document.querySelector('.timecode')?.textContent === '01:00:00:02',
      undefined,
      { timeout: 5000 },
    );
    // Timecode-accurate seek: type a source timecode.
    await page.locator('.tc-input').fill('01:00:02:10');
    await page.locator('.tc-input').press('Enter');
    await page.waitForFunction(
      () => document.querySelector('.timecode')?.textContent === '01:00:02:10',
      undefined,
      { timeout: 5000 },
    );
    // J/K/L shuttle: L twice = 2×, K stops.
    await page.locator('.asset-list').focus();
    await page.keyboard.press('l');
    await page.keyboard.press('l');
    assert.equal(
      await page.locator('video.player').evaluate((v) => (v as HTMLVideoElement).playbackRate),
      2,
    );
    await page.keyboard.press('k');
    assert.equal(
      await page.locator('video.player').evaluate((v) => (v as HTMLVideoElement).paused),
      true,
    );
    // Rating a clip keeps its player (no reload of the pane, position kept).
    await page
      .locator('video.player')
      .evaluate((v) => ((v as HTMLVideoElement).dataset.mark = '1'));
    const at = await page
      .locator('video.player')
      .evaluate((v) => (v as HTMLVideoElement).currentTime);
    await page.keyboard.press('4');
    await page.waitForFunction(() => !document.querySelector('.pending')?.textContent, undefined, {
      timeout: 10_000,
    });
    await page.locator('.stars-input .star.on').nth(3).waitFor();
    assert.equal(await page.locator('video.player[data-mark="1"]').count(), 1, 'player kept');
    assert.equal(
      await page.locator('video.player').evaluate((v) => (v as HTMLVideoElement).currentTime),
      at,
    );
    assert.match(await page.locator('.facts').innerText(), /10-bit/);
    assert.match(await page.locator('.facts').innerText(), /HLG/);
    await page.locator('video.player').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(
      await page.locator('.asset-item.current').getAttribute('data-uuid'),
      clip,
      'arrow stayed in the player',
    );
    await shot('video-timecode');
  },
);

test(
  'audio waiting for a profile: the choice is explained, and "Music + Keep" picks and decides in one go',
  { skip },
  async () => {
    const [take] = await drop(lib, lib.media.m4a, ['cardF/interview.m4a']);
    await processAssets(lib, [take!], () => ({
      media_format: 'mp4',
      duration_ms: 3000,
      audio_codec: 'aac',
      channel_count: 1,
      sample_rate_hz: 48000,
    }));
    assert.equal(await stateOf(lib, take!), 'REVIEW_PENDING_PROFILE');
    await tab('profile').click();
    await page.locator(`.asset-item[data-uuid="${take}"]`).click({ timeout: 15_000 });
    await shown(take!).waitFor();
    const panel = page.locator('.profile-choice');
    assert.match(await panel.innerText(), /Voice also transcribes the speech/);
    assert.match(await page.locator('.facts').innerText(), /AAC · mono · 48 kHz/);
    await page.locator('audio.player').waitFor();
    await shot('audio-profile');
    await panel.getByRole('button', { name: /Music \+ Keep/ }).click();
    for (let i = 0; i < 50 && (await stateOf(lib, take!)) !== 'DECIDED_KEEP'; i++)
      await page.waitForTimeout(100);
    assert.equal(await stateOf(lib, take!), 'DECIDED_KEEP');
    const asset = (await lib.core.server.operator.listAssets()).find((a) => a.uuid === take)!;
    assert.equal(asset.profile, 'audio_music');
  },
);

test(
  'screens: sign-in page and the empty state, light and dark, at 1280×720',
  { skip },
  async () => {
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await fresh.goto(`${lib.core.server.url}/`);
    await fresh.getByLabel('Email').waitFor();
    await fresh.screenshot({ path: path.join(SHOTS, 'review-pro-login.png') });
    await fresh.close();
    await tab('profile').click();
    await page.locator('.detail .empty').waitFor();
    await shot('empty');
    await page.getByRole('button', { name: 'Toggle theme' }).click();
    await tab('review').click();
    await shot('review-dark');
    await page.getByRole('button', { name: 'Toggle theme' }).click();
  },
);

test(
  'keyboard only: tabs reached with Tab and Enter show a visible focus ring; notes and tags are edited and saved',
  { skip },
  async () => {
    await page.locator('.asset-list').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(
        () => (document.activeElement as HTMLElement | null)?.dataset.tab === 'keep',
      );
    }
    assert.ok(reached, 'the Keep tab is reachable with Tab');
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(ring, 'none', 'focused tab shows a focus ring');
    await page.keyboard.press('Enter');
    await page.locator('[data-tab="keep"][aria-selected="true"]').waitFor();
    const uuid = await page.locator('.asset-item.current').getAttribute('data-uuid');
    await shown(uuid!).waitFor();
    await shot('keyboard-focus');
    await page.getByLabel('Tags').fill('harbour, dusk');
    await page.getByLabel('Tags').press('Enter');
    await page.getByLabel('Notes').fill('Sharp, keep for the brochure');
    await page.getByLabel('Notes').press('Tab');
    await page.waitForFunction(() => !document.querySelector('.pending')?.textContent, undefined, {
      timeout: 10_000,
    });
    for (let i = 0; i < 50; i++) {
      const a = (await lib.core.server.operator.listAssets()).find((x) => x.uuid === uuid)!;
      if (a.notes === 'Sharp, keep for the brochure' && a.tags.includes('dusk')) break;
      await page.waitForTimeout(100);
    }
    const a = (await lib.core.server.operator.listAssets()).find((x) => x.uuid === uuid)!;
    assert.equal(a.notes, 'Sharp, keep for the brochure');
    assert.ok(a.tags.includes('harbour') && a.tags.includes('dusk'), JSON.stringify(a.tags));
  },
);
