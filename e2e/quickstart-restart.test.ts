// `npm start` twice on the same home, over a library with a file that can never be processed:
// the first run exits once every asset is settled (the broken one counts: it waits for a human),
// the second reuses the agent's saved enrolment instead of enrolling a new client, also when the
// asked port is taken both times (the first run falls back to a free port, the second to that same
// one: credentials are tied to the Core URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runQuickstart } from './support/run-quickstart.js';
import { makeSmallMedia } from './support/small-media.js';

function quickstart(home: string, storage: string, port: number) {
  return runQuickstart(
    ['--home', home, '--storage-root', storage, '--init-storage', '--port', String(port)],
    240_000,
  );
}

test('npm start exits with a permanently failed asset, and a restart reuses the enrolment', async () => {
  const root = await mkdtemp(join(tmpdir(), 'retaia-qs-restart-'));
  try {
    const storage = join(root, 'library');
    await mkdir(join(storage, 'INBOX'), { recursive: true });
    const media = await makeSmallMedia(join(root, 'media'));
    const { copyFile } = await import('node:fs/promises');
    await copyFile(media.photo, join(storage, 'INBOX', 'good.jpg'));
    // A JPEG header followed by noise: nothing can decode it, ever.
    await writeFile(
      join(storage, 'INBOX', 'broken.jpg'),
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4000)]),
    );
    const home = join(root, 'home');

    // The asked port is held by another program during both runs.
    const { createServer } = await import('node:net');
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as { port: number }).port;
    try {
      const first = await quickstart(home, storage, port);
      assert.equal(first.code, 0, first.out.slice(-3000));
      assert.match(first.out, new RegExp(`port ${port} is busy, using a free one`));
      assert.match(first.out, /enrolling the agent/);
      assert.match(first.out, /all 2 assets processed/);

      const second = await quickstart(home, storage, port);
      assert.equal(second.code, 0, second.out.slice(-3000));
      assert.match(second.out, new RegExp(`port ${port} is busy, using \\d+ again`));
      assert.doesNotMatch(second.out, /enrolling the agent/, 'the saved enrolment is reused');
      assert.match(second.out, /all 2 assets processed/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
