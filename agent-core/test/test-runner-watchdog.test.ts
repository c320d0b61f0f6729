// The test runner's watchdog (scripts/test-support/linger-watchdog.mjs): a test file that passes
// but leaves a server and a timer behind fails soon after its tests, naming both, instead of
// hanging the whole run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const watchdog = fileURLToPath(
  new URL('../../scripts/test-support/linger-watchdog.mjs', import.meta.url),
);
const fixture = fileURLToPath(new URL('./fixtures/lingering-server.fixture.mjs', import.meta.url));

// A fresh runner: without NODE_TEST_CONTEXT (set for files run by a runner) it reports itself.
const { NODE_TEST_CONTEXT: _inherited, ...inherited } = process.env;
const runnerEnv = { ...inherited, TEST_LINGER_MS: '1500' };

test('a file that outlives its tests fails fast and names what is still open', async () => {
  const started = Date.now();
  const result = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', watchdog, '--test', '--test-reporter=spec', fixture],
      { env: runnerEnv, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
  assert.notEqual(result.code, 0, 'the lingering file fails the run');
  assert.match(result.out, /outlived its tests/);
  assert.match(result.out, /Server listening on 127\.0\.0\.1:\d+/);
  assert.match(result.out, /setInterval every 60000 ms at .*lingering-server\.fixture\.mjs/);
  assert.ok(Date.now() - started < 100_000, 'long before the interval or any test timeout');
});
