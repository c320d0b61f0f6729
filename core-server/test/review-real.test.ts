/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
/// <reference lib="dom" />
// The review page built and served by the REAL core-server, driven in Debian Chromium: a real
// video and photo are processed by the agent's real processors (ffmpeg) through a signed test
// agent, then an operator logs in, seeks the proxy, decides with the keyboard, applies (dry run
// first) and the files move on disk. Also the /device approval page. Screenshots:
// test-artifacts/screenshots/review-real-*.png.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { createProcessors } from '../../agent-core/src/processing/registry.js';
import { TestAgent, http, startTestCore, type TestCore } from './support/signed-test-client.js';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(REPO, 'test-artifacts/screenshots');
const video = sharedMedia('video/sample-h264.mp4');
const photo = sharedMedia('photo/gps-DSCN0010.jpg');
const skip = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}`
  : !existsSync('/usr/bin/ffmpeg')
    ? 'no ffmpeg at /usr/bin/ffmpeg'
    : (video.skipReason ?? photo.skipReason ?? false);

let core: TestCore;
let agent: TestAgent;
let browser: Browser;
let page: Page;
let workDir: string;
const uuids: Record<string, string> = {};
const silent = { info() {}, warn() {}, error() {}, debug() {} };

async function shot(name: string) {
  await page.screenshot({ path: path.join(SHOTS, `review-real-${name}.png`) });
}

/** Runs every offered job with the agent's real processors until nothing is left. */
async function processAll() {
  const processors = createProcessors();
  for (let round = 0; round < 20; round++) {
    const jobs = (await agent.get('/jobs')).body as any[];
    if (jobs.length === 0) return;
    for (const job of jobs) {
      const claim = await agent.claim(job.job_id);
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      const processor = processors.get(job.job_type);
      assert.ok(processor, `no processor for ${job.job_type}`);
      const jobDir = await mkdtemp(path.join(workDir, 'job-'));
      const output = await processor.run({
        jobId: job.job_id,
        jobType: job.job_type,
        assetUuid: job.asset_uuid,
        mediaType: job.source.original_relative.endsWith('.jpg') ? 'PHOTO' : 'VIDEO',
        sourcePath: path.join(core.root, job.source.original_relative),
        sidecarPaths: job.source.sidecars_relative.map((s: string) => path.join(core.root, s)),
        workDir: jobDir,
        signal: new AbortController().signal,
        onProgress() {},
        logger: silent,
      });
      const lease = { lock_token: claim.body.lock_token, fencing_token: claim.body.fencing_token };
      let result: unknown;
      if (output.type === 'facts') result = { facts_patch: output.factsPatch };
      else if (output.type === 'derived') {
        const manifest = [];
        for (const f of output.files) {
          const ref = await agent.upload(
            job.asset_uuid,
            f.kind,
            f.contentType,
            await readFile(f.path),
            4 * 1024 * 1024,
          );
          manifest.push({ kind: f.kind, ref });
        }
        result = { derived_patch: { derived_manifest: manifest } };
      } else result = { transcript_patch: output.transcriptPatch };
      const submit = await agent.submit(job.job_id, {
        ...lease,
        job_type: job.job_type,
        result,
      });
      assert.equal(submit.status, 200, `${job.job_type}: ${JSON.stringify(submit.body)}`);
      await rm(jobDir, { recursive: true, force: true });
    }
  }
  throw new Error('jobs kept coming after 20 rounds');
}

before(async () => {
  if (skip) return;
  await mkdir(SHOTS, { recursive: true });
  workDir = await mkdtemp(path.join(os.tmpdir(), 'review-real-'));
  // Real Core; the review page bundle is built at start when missing or stale.
  core = await startTestCore();
  await core.server.operator.addUser('op@example.test', 'correct horse battery');
  agent = await TestAgent.enrol(core.server);
  await agent.register();
  await mkdir(path.join(core.root, 'INBOX/2025-06'), { recursive: true });
  await copyFile(video.path!, path.join(core.root, 'INBOX/2025-06/harbour.mp4'));
  await copyFile(photo.path!, path.join(core.root, 'INBOX/2025-06/street.jpg'));
  await core.server.scanNow();
  await core.server.scanNow();
  for (const a of await core.server.operator.listAssets()) uuids[a.name] = a.uuid;
  await processAll();
  for (const a of await core.server.operator.listAssets()) {
    assert.equal(a.state, 'DECISION_PENDING', `${a.name} is ${a.state}`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
});

after(async () => {
  await browser?.close();
  await core?.dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test(
  'pages: / redirects to /review/, CSP on every page, sw.js is JavaScript',
  { skip },
  async () => {
    const root = await fetch(`${core.server.url}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/review/');
    const index = await http(`${core.server.url}/review/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type')!, /text\/html/);
    assert.match(index.headers.get('content-security-policy')!, /script-src 'self'/);
    const sw = await http(`${core.server.url}/review/sw.js`);
    assert.equal(sw.status, 200);
    assert.match(sw.headers.get('content-type')!, /text\/javascript/);
    const escape = await http(`${core.server.url}/review/..%2f..%2fpackage.json`);
    assert.equal(escape.status, 404);
    const device = await http(`${core.server.url}/device`);
    assert.match(device.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
  },
);

test(
  'login, video seek, keyboard decisions, apply with dry run moves the real files',
  { skip },
  async () => {
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${core.server.url}/`);
    await page.getByLabel('Email').fill('op@example.test');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.asset-item').first().waitFor();
    await shot('list');

    await page.locator(`.asset-item[data-uuid="${uuids['harbour.mp4']}"]`).click();
    const mode = await page.evaluate(() => document.documentElement.dataset.mediaAuth);
    assert.equal(mode, 'service-worker');
    await page.locator('video.player').waitFor();
    await page.waitForFunction(
      () =>
        ((document.querySelector('video.player') as HTMLVideoElement | null)?.readyState ?? 0) >= 1,
      undefined,
      { timeout: 15_000 },
    );
    const seeked = await page.evaluate(async () => {
      const v = document.querySelector('video.player') as HTMLVideoElement;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no seeked event')), 10_000);
        v.addEventListener(
          'seeked',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
        v.currentTime = 6.5;
      });
      return { currentTime: v.currentTime, duration: v.duration, readyState: v.readyState };
    });
    assert.ok(Math.abs(seeked.currentTime - 6.5) < 0.1, JSON.stringify(seeked));
    assert.ok(Math.abs(seeked.duration - 10) < 0.5, JSON.stringify(seeked));
    await page
      .locator('.thumb-strip img, .thumbs img')
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
    await shot('video-seeked');

    await page.keyboard.press('p');
    await page.waitForFunction(
      async (u) => {
        const r = await fetch(`/api/v1/assets/${u}`, {
          headers: { authorization: `Bearer ${sessionStorage.getItem('retaia.review.token')}` },
        });
        return (await r.json()).summary.state === 'DECIDED_KEEP';
      },
      uuids['harbour.mp4'],
      { timeout: 10_000 },
    );
    await page.locator(`.asset-item[data-uuid="${uuids['street.jpg']}"]`).click();
    await page.locator('img').first().waitFor();
    await page.keyboard.press('x');
    await page.waitForFunction(
      async (u) => {
        const r = await fetch(`/api/v1/assets/${u}`, {
          headers: { authorization: `Bearer ${sessionStorage.getItem('retaia.review.token')}` },
        });
        return (await r.json()).summary.state === 'DECIDED_REJECT';
      },
      uuids['street.jpg'],
      { timeout: 10_000 },
    );
    await shot('decided');

    await page.keyboard.press('a');
    const dialog = page.locator('dialog.apply-dialog');
    await dialog.waitFor();
    const text = await dialog.innerText();
    assert.match(text, /1 to ARCHIVE, 1 to REJECTS/);
    assert.ok(
      existsSync(path.join(core.root, 'INBOX/2025-06/harbour.mp4')),
      'dry run moved nothing',
    );
    await shot('apply-dry-run');
    await dialog.getByRole('button', { name: /Move 2 assets/ }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('2 assets moved.').waitFor();
    assert.ok(existsSync(path.join(core.root, 'ARCHIVE/2025-06/harbour.mp4')));
    assert.ok(existsSync(path.join(core.root, 'REJECTS/2025-06/street.jpg')));
    assert.ok(!existsSync(path.join(core.root, 'INBOX/2025-06/harbour.mp4')));
    const states = Object.fromEntries(
      (await core.server.operator.listAssets()).map((a) => [a.name, a.state]),
    );
    assert.deepEqual(states, { 'harbour.mp4': 'ARCHIVED', 'street.jpg': 'REJECTED' });
    await shot('after-apply');
    assert.deepEqual(cspViolations, []);
  },
);

test(
  '/device: the logged-in operator sees the pending code and approves it',
  { skip },
  async () => {
    const start = await http(`${core.server.apiUrl}/auth/clients/device/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_kind: 'AGENT', client_label: 'edit-suite-2' }),
    });
    assert.equal(start.status, 200);
    assert.match(start.body.verification_uri, /\/device$/);
    await page.goto(start.body.verification_uri_complete);
    // Only the request being approved is shown (security-device-approval.test.ts floods it).
    const item = page.locator('#flow');
    await item.waitFor();
    assert.match(await item.innerText(), new RegExp(start.body.user_code));
    assert.match(await item.innerText(), /edit-suite-2/);
    await shot('device');
    await item.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(`Approved ${start.body.user_code}`).waitFor();
    const poll = await http(`${core.server.apiUrl}/auth/clients/device/poll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_code: start.body.device_code }),
    });
    assert.equal(poll.status, 200, JSON.stringify(poll.body));
    assert.equal(poll.body.status, 'APPROVED');
  },
);
