// The image worker pool with real worker threads and real libheif decodes: bounded, idle
// workers terminated, abort of queued and running tasks, typed errors, timeout, and the
// main-thread fallback when no worker file ships next to the code.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ProcessingAbortedError, ProcessingError } from '../processor.js';
import { heifEnc, heifEncSkip } from '../testing/heif-fixtures.js';
import { ImageWorkerPool } from './image-worker-pool.js';
import type { HeifDecodeResult } from './image-worker-protocol.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-image-pool-test-'));
const pools: ImageWorkerPool[] = [];
after(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(root, { recursive: true, force: true });
});
const pool = (opts: ConstructorParameters<typeof ImageWorkerPool>[0] = {}) => {
  const p = new ImageWorkerPool(opts);
  pools.push(p);
  return p;
};

async function waitUntil(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let heic = '';
let bigHeic = '';
test('fixtures', { skip: heifEncSkip }, async () => {
  const png = join(root, 'src.png');
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#2a6' } })
    .png()
    .toFile(png);
  heic = heifEnc(join(root, 'small.heic'), [png]);
  const big = join(root, 'big.png');
  await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#a62' } })
    .png()
    .toFile(big);
  bigHeic = heifEnc(join(root, 'big.heic'), [big], 30);
});

const decode = (p: ImageWorkerPool, path: string, signal?: AbortSignal) =>
  p.run<HeifDecodeResult>({ op: 'heif-decode', path, pixels: true }, signal);

test(
  'decodes in a worker, returns the pixels, never exceeds maxWorkers',
  { skip: heifEncSkip },
  async () => {
    const p = pool({ maxWorkers: 1 });
    assert.equal(p.usesWorkers, true);
    let maxSeen = 0;
    const probe = setInterval(() => (maxSeen = Math.max(maxSeen, p.size)), 5);
    try {
      const results = await Promise.all([1, 2, 3].map(() => decode(p, heic)));
      for (const r of results) {
        assert.deepEqual([r.width, r.height, r.imageCount], [320, 240, 1]);
        assert.equal(r.rgba!.byteLength, 320 * 240 * 4);
        const px = new Uint8Array(r.rgba!, 0, 4);
        assert.ok(px[1]! > px[0]! && px[1]! > px[2]!, `green-ish pixel ${[...px]}`);
      }
    } finally {
      clearInterval(probe);
    }
    assert.equal(maxSeen, 1);
  },
);

test('an idle worker is terminated', { skip: heifEncSkip }, async () => {
  const p = pool({ idleMs: 100 });
  await decode(p, heic);
  assert.equal(p.size, 1);
  await waitUntil('the idle worker to go away', () => p.size === 0);
});

test(
  'abort: a running decode stops (worker terminated), a queued one never starts',
  { skip: heifEncSkip },
  async () => {
    const p = pool({ maxWorkers: 1 });
    const running = new AbortController();
    const queued = new AbortController();
    const first = decode(p, bigHeic, running.signal);
    const second = decode(p, bigHeic, queued.signal);
    const third = decode(p, heic);
    queued.abort('lease lost');
    await assert.rejects(second, ProcessingAbortedError);
    await waitUntil('the first decode to start', () => p.size === 1);
    running.abort('shutdown');
    await assert.rejects(first, ProcessingAbortedError);
    // The pool replaces the terminated worker and carries on.
    const r = await third;
    assert.equal(r.width, 320);
    const already = new AbortController();
    already.abort();
    await assert.rejects(decode(p, heic, already.signal), ProcessingAbortedError);
  },
);

test('errors arrive as typed ProcessingErrors with the file named', async () => {
  const p = pool();
  const broken = join(root, 'broken.heic');
  writeFileSync(
    broken,
    Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(300)]),
  );
  await assert.rejects(decode(p, broken), (e: unknown) => {
    assert.ok(e instanceof ProcessingError, String(e));
    assert.equal(e.code, 'IMAGE_UNREADABLE');
    assert.equal(e.retryable, false);
    assert.match(e.message, /HEIC\/HEIF image cannot be decoded .*broken\.heic/);
    return true;
  });
  await assert.rejects(decode(p, join(root, 'missing.heic')), (e: unknown) => {
    assert.ok(
      e instanceof ProcessingError && e.code === 'SOURCE_UNREADABLE' && !e.retryable,
      String(e),
    );
    return true;
  });
});

test(
  'a decode over the time limit is stopped, retryable IMAGE_TIMEOUT',
  { skip: heifEncSkip },
  async () => {
    const p = pool({ taskTimeoutMs: 1 });
    await assert.rejects(decode(p, bigHeic), (e: unknown) => {
      assert.ok(
        e instanceof ProcessingError && e.code === 'IMAGE_TIMEOUT' && e.retryable,
        String(e),
      );
      assert.match(e.message, /big\.heic/);
      return true;
    });
    assert.equal(p.size, 0);
  },
);

test(
  'no worker file next to the code (a bundle that did not ship it): tasks run in-process',
  { skip: heifEncSkip },
  async () => {
    const p = pool({ locateFrom: 'file:///nonexistent/bundle/daemon.js' });
    assert.equal(p.usesWorkers, false);
    const r = await decode(p, heic);
    assert.deepEqual([r.width, r.height], [320, 240]);
    assert.equal(p.size, 0);
  },
);

test('a closed pool refuses work', async () => {
  const p = pool();
  await p.close();
  await assert.rejects(
    decode(p, heic),
    (e: unknown) => e instanceof ProcessingError && e.retryable,
  );
});
