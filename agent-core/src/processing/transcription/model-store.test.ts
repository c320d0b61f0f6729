import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GGML_MAGIC } from './ggml-model-header.js';
import type { ModelCatalogueEntry } from './model-catalogue.js';
import { ModelDownloadError } from './model-download.js';
import { ModelStore, ModelStoreError } from './model-store.js';

/** A file that passes the ggml whisper header check, followed by random bytes. */
function fakeModel(totalBytes: number): Buffer {
  const buf = randomBytes(totalBytes);
  const hp = [51865, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1];
  buf.writeUInt32LE(GGML_MAGIC, 0);
  hp.forEach((v, i) => buf.writeInt32LE(v, 4 + i * 4));
  buf.writeInt32LE(80, 48);
  buf.writeInt32LE(201, 52);
  return buf;
}

interface ServedRequest {
  range?: string;
}

/** Loopback HTTP server with Range support and knobs to cut a response or ignore Range. */
class ModelServer {
  readonly requests: ServedRequest[] = [];
  cutAfterBytes: number | undefined;
  ignoreRange = false;
  private server: Server;
  constructor(readonly body: Buffer) {
    this.server = createServer((req, res) => {
      this.requests.push({ ...(req.headers.range ? { range: req.headers.range } : {}) });
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      let start = 0;
      if (m && !this.ignoreRange) {
        start = Number(m[1]);
        if (start >= this.body.length) {
          res.writeHead(416, { 'Content-Range': `bytes */${this.body.length}` }).end();
          return;
        }
        res.writeHead(206, {
          'Content-Range': `bytes ${start}-${this.body.length - 1}/${this.body.length}`,
          'Content-Length': this.body.length - start,
        });
      } else {
        res.writeHead(200, { 'Content-Length': this.body.length });
      }
      const slice = this.body.subarray(start);
      if (this.cutAfterBytes !== undefined) {
        const cut = this.cutAfterBytes;
        this.cutAfterBytes = undefined;
        res.write(slice.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(slice);
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/ggml-test.bin`;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('ModelStore', () => {
  let dir: string;
  let server: ModelServer;
  let url: string;
  const body = fakeModel(3 * 1024 * 1024 + 123);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const entry = (over: Partial<ModelCatalogueEntry> = {}): ModelCatalogueEntry => ({
    name: 'test',
    description: 'generated',
    url,
    sha256,
    sizeBytes: body.length,
    ...over,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retaia-models-'));
    server = new ModelServer(body);
    url = await server.start();
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('downloads with progress, verifies sha256, registers and activates the model', async () => {
    const store = new ModelStore({ dataDir: join(dir, 'a'), catalogue: [entry()] });
    const progress: number[] = [];
    const model = await store.download('test', {
      onProgress: (p) => progress.push(p.receivedBytes),
    });
    assert.equal(model.sha256, sha256);
    assert.equal(model.sizeBytes, body.length);
    assert.equal(model.active, true);
    assert.equal(model.available, true);
    assert.equal(model.modelType, 'tiny');
    assert.equal(model.multilingual, true);
    assert.equal(progress.at(-1), body.length);
    assert.ok(!existsSync(`${model.path}.part`));
    const listed = await store.listModels();
    assert.deepEqual(
      listed.map((m) => [m.name, m.active, m.sizeBytes, m.sha256, m.path]),
      [['test', true, body.length, sha256, model.path]],
    );
  });

  test('resumes an interrupted download with a Range request into the .part file', async () => {
    const store = new ModelStore({ dataDir: join(dir, 'b'), catalogue: [entry()] });
    server.requests.length = 0;
    server.cutAfterBytes = 1024 * 1024;
    await assert.rejects(store.download('test'), (err: unknown) => {
      assert.ok(err instanceof ModelDownloadError);
      assert.equal(err.code, 'DOWNLOAD_FAILED');
      assert.equal(err.retryable, true);
      return true;
    });
    const part = join(store.dir, 'ggml-test.bin.part');
    const partial = (await stat(part)).size;
    // Bytes in flight when the server cuts the connection may never arrive: only require a
    // real partial file, then a resume from exactly its size.
    assert.ok(partial > 0 && partial < body.length, `partial ${partial}`);
    let resumedFrom = -1;
    const model = await store.download('test', {
      onProgress: (p) => (resumedFrom = p.resumedFromBytes),
    });
    assert.equal(server.requests.at(-1)?.range, `bytes=${partial}-`);
    assert.equal(resumedFrom, partial);
    assert.equal(model.sha256, sha256);
    assert.equal((await stat(model.path)).size, body.length);
  });

  test('restarts from zero when the server ignores Range', async () => {
    const store = new ModelStore({ dataDir: join(dir, 'c'), catalogue: [entry()] });
    await store.download('test').catch(() => undefined);
    await rm(join(store.dir, 'ggml-test.bin'));
    await rm(join(store.dir, 'models.json'));
    await writeFile(join(store.dir, 'ggml-test.bin.part'), body.subarray(0, 5000));
    server.ignoreRange = true;
    try {
      const model = await store.download('test');
      assert.equal(model.sha256, sha256);
    } finally {
      server.ignoreRange = false;
    }
  });

  test('a sha256 mismatch deletes the data and registers nothing', async () => {
    const store = new ModelStore({
      dataDir: join(dir, 'd'),
      catalogue: [entry({ sha256: '0'.repeat(64) })],
    });
    await assert.rejects(store.download('test'), (err: unknown) => {
      assert.ok(err instanceof ModelDownloadError);
      assert.equal(err.code, 'CHECKSUM_MISMATCH');
      return true;
    });
    assert.ok(!existsSync(join(store.dir, 'ggml-test.bin')));
    assert.ok(!existsSync(join(store.dir, 'ggml-test.bin.part')));
    assert.deepEqual(await store.listModels(), []);
  });

  test('an aborted download keeps its .part for later', async () => {
    const store = new ModelStore({ dataDir: join(dir, 'e'), catalogue: [entry()] });
    const ac = new AbortController();
    server.cutAfterBytes = 512 * 1024; // the socket stays open a moment: abort lands mid-body
    await assert.rejects(
      store.download('test', {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.receivedBytes > 0) ac.abort();
        },
      }),
      (err: unknown) => err instanceof ModelDownloadError && err.code === 'DOWNLOAD_ABORTED',
    );
    assert.ok(existsSync(join(store.dir, 'ggml-test.bin.part')));
  });

  test('refuses an unknown catalogue name with the list of known ones', async () => {
    const store = new ModelStore({ dataDir: join(dir, 'f'), catalogue: [entry()] });
    await assert.rejects(store.download('huge'), /unknown model "huge"; available: test/);
  });

  test('adds a user file by header (not extension), refuses non-ggml files, removes references only', async () => {
    const store = new ModelStore({ dataDir: join(dir, 'g') });
    const good = join(dir, 'my-model.weights');
    await writeFile(good, fakeModel(4096));
    const gguf = join(dir, 'llm.bin');
    await writeFile(gguf, Buffer.concat([Buffer.from('GGUF'), randomBytes(100)]));
    const junk = join(dir, 'ggml-junk.bin');
    await writeFile(junk, randomBytes(100));

    await assert.rejects(store.addModelFile(gguf), (err: unknown) => {
      assert.ok(err instanceof ModelStoreError);
      assert.equal(err.code, 'MODEL_INVALID');
      assert.match(err.message, /GGUF/);
      return true;
    });
    await assert.rejects(store.addModelFile(junk), /not a ggml whisper model/);

    const added = await store.addModelFile(good);
    assert.equal(added.name, 'my-model');
    assert.equal(added.source, 'imported');
    assert.equal(added.active, true);
    await assert.rejects(store.addModelFile(good), /already exists/);
    const second = await store.addModelFile(good, { name: 'second' });
    assert.equal(second.active, false);
    await store.setActive('second');
    assert.equal((await store.activeModel())?.name, 'second');

    await store.removeModel('second');
    assert.equal((await store.activeModel())?.name, 'my-model', 'falls back to a remaining model');
    assert.ok(existsSync(good), "a user's own file is never deleted");
    await store.removeModel('my-model');
    assert.equal(await store.activeModel(), undefined);
    await assert.rejects(
      store.removeModel('my-model'),
      /no model named "my-model" \(none installed\)/,
    );
  });

  test('reports a registered file that vanished as unavailable', async () => {
    const store = new ModelStore({ dataDir: join(dir, 'h') });
    const file = join(dir, 'vanishing.bin');
    await writeFile(file, fakeModel(2048));
    await store.addModelFile(file);
    await rm(file);
    const [m] = await store.listModels();
    assert.equal(m?.available, false);
    assert.match(m?.problem ?? '', /model file missing/);
  });
});
