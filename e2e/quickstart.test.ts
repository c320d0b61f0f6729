// The README's quick start, as a newcomer runs it: `npm start` brings up core-server, the
// agent daemon and the demo library, and every demo asset gets processed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runQuickstart } from './support/run-quickstart.js';

test('npm start processes the demo library and stops cleanly', async () => {
  const home = await mkdtemp(join(tmpdir(), 'retaia-quickstart-'));
  try {
    const { code, out } = await runQuickstart(['--home', home, '--port', '0'], 300_000);
    const summary = out.split('\n').find((l) => l.includes('assets processed'));
    console.log(`[e2e] quick start: ${summary ?? out.slice(-2000)}`);
    assert.equal(code, 0, out.slice(-3000));
    assert.match(out, /Review page\s+http:\/\/127\.0\.0\.1:\d+\/review\//);
    assert.match(out, /all 6 assets processed/);
    assert.match(out, /stopped\./);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
