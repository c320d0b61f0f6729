/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
// A real Core with a review library for browser tests and the keypress bench: real files in
// INBOX (made by ffmpeg), discovered by the real scanner, then "processed" by a signed test
// agent that submits facts and uploads a real preview per asset (fast: no decoding per asset),
// or fails a job for good with the agent's human message. Also a logged-in Chromium page.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TestAgent, startTestCore, type TestCore } from './signed-test-client.js';

export const CHROMIUM = '/usr/bin/chromium';
export const USER = { email: 'op@example.test', password: 'correct horse battery' };

export interface ReviewLibrary {
  core: TestCore;
  agent: TestAgent;
  media: { jpeg: string; webp: string; mp4: string; m4a: string };
  uuids: Map<string, string>;
  dispose(): Promise<void>;
}

function ffmpeg(args: string[]) {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

export async function startReviewLibrary(): Promise<ReviewLibrary> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'review-lib-'));
  const media = {
    jpeg: path.join(tmp, 'src.jpg'),
    webp: path.join(tmp, 'preview.webp'),
    mp4: path.join(tmp, 'preview.mp4'),
    m4a: path.join(tmp, 'preview.m4a'),
  };
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'aac', media.m4a]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x426:rate=1', '-frames:v', '1', media.jpeg]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=1600x1066:rate=1', '-frames:v', '1', media.webp]);
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=25',
    '-t',
    '4',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    media.mp4,
  ]);
  const core = await startTestCore();
  await core.server.operator.addUser(USER.email, USER.password);
  const agent = await TestAgent.enrol(core.server);
  return {
    core,
    agent,
    media,
    uuids: new Map(),
    async dispose() {
      await core.dispose();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Copies `src` to each INBOX-relative name and scans until they are READY; returns uuids. */
export async function drop(lib: ReviewLibrary, src: string, names: string[]) {
  for (const name of names) {
    const abs = path.join(lib.core.root, 'INBOX', name);
    await mkdir(path.dirname(abs), { recursive: true });
    await copyFile(src, abs);
  }
  await lib.core.server.scanNow();
  await lib.core.server.scanNow();
  for (const a of await lib.core.server.operator.listAssets()) {
    lib.uuids.set(a.relative_path.replace(/^INBOX\//, ''), a.uuid);
  }
  return names.map((n) => lib.uuids.get(n)!);
}

/** Completes every pending job of the assets: facts as given, one real preview each. */
export async function process(
  lib: ReviewLibrary,
  uuids: string[],
  facts: (uuid: string) => Record<string, unknown>,
  concurrency = 4,
) {
  const wanted = new Set(uuids);
  const previews = {
    PHOTO: ['preview_photo', 'image/webp', await readFile(lib.media.webp)],
    VIDEO: ['preview_video', 'video/mp4', await readFile(lib.media.mp4)],
    AUDIO: ['preview_audio', 'audio/mp4', await readFile(lib.media.m4a)],
  } as const;
  const samples = Array.from({ length: 100 }, (_, i) => Math.abs(Math.sin(i / 7)));
  const waveform = Buffer.from(
    JSON.stringify({ duration_ms: 3000, bucket_count: samples.length, samples }),
  );
  const run = async (job: any) => {
    const claim = await lib.agent.claim(job.job_id);
    if (claim.status !== 200) throw new Error(`claim ${JSON.stringify(claim.body)}`);
    const lease = { lock_token: claim.body.lock_token, fencing_token: claim.body.fencing_token };
    let result: unknown;
    if (job.job_type === 'extract_facts') result = { facts_patch: facts(job.asset_uuid) };
    else {
      const rel: string = job.source.original_relative;
      const type = rel.endsWith('.mp4') ? 'VIDEO' : rel.endsWith('.m4a') ? 'AUDIO' : 'PHOTO';
      const [kind, ct, bytes] =
        job.job_type === 'generate_thumbnails'
          ? (['thumb', 'image/webp', await readFile(lib.media.webp)] as const)
          : job.job_type === 'generate_audio_waveform'
            ? (['waveform', 'application/json', waveform] as const)
            : previews[type];
      const ref = await lib.agent.upload(job.asset_uuid, kind, ct, bytes, 4 << 20);
      result = { derived_patch: { derived_manifest: [{ kind, ref }] } };
    }
    const s = await lib.agent.submit(job.job_id, { ...lease, job_type: job.job_type, result });
    if (s.status !== 200) throw new Error(`submit ${job.job_type} ${JSON.stringify(s.body)}`);
  };
  // extract_facts first: video waveform jobs are planned from the facts. Pages of ≤ 500 jobs.
  for (let round = 0; round < 50; round++) {
    const jobs = ((await lib.agent.get('/jobs?limit=500')).body as any[]).filter((j) =>
      wanted.has(j.asset_uuid),
    );
    if (jobs.length === 0) return;
    const facts1 = jobs.filter((j) => j.job_type === 'extract_facts');
    const batch = facts1.length ? facts1 : jobs;
    let i = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (i < batch.length) await run(batch[i++]);
      }),
    );
  }
  throw new Error('jobs kept coming');
}

/** Fails every pending job of the asset for good with the agent's message. */
export async function failAll(lib: ReviewLibrary, uuid: string, code: string, message: string) {
  const jobs = ((await lib.agent.get('/jobs?limit=500')).body as any[]).filter(
    (j) => j.asset_uuid === uuid,
  );
  for (const job of jobs) {
    const c = await lib.agent.claim(job.job_id);
    const f = await lib.agent.fail(job.job_id, {
      lock_token: c.body.lock_token,
      fencing_token: c.body.fencing_token,
      error_code: code,
      message,
      retryable: false,
    });
    if (f.status !== 200) throw new Error(`fail ${JSON.stringify(f.body)}`);
  }
}

export async function openBrowser(
  lib: ReviewLibrary,
  viewport = { width: 1280, height: 720 },
): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const page = await browser.newPage({ viewport });
  await page.goto(`${lib.core.server.url}/`);
  await page.getByLabel('Email').fill(USER.email);
  await page.getByLabel('Password').fill(USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.asset-list').waitFor();
  return { browser, page };
}

/** Asset state straight from Core (not from the page). */
export async function stateOf(lib: ReviewLibrary, uuid: string): Promise<string> {
  return (await lib.core.server.operator.listAssets()).find((a) => a.uuid === uuid)!.state;
}
