// The shared polling helper: returns the first truthy value, keeps polling async checks, and names
// what it waited for (evaluated only then) when the deadline passes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from './wait-for.js';

test('waitFor resolves with the first truthy value of a sync or async check', async () => {
  let calls = 0;
  const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 1 });
  assert.deepEqual(value, { calls: 3 });
  let asyncCalls = 0;
  assert.equal(await waitFor(async () => ++asyncCalls === 2, { intervalMs: 1 }), true);
});

test('waitFor gives up after the timeout and names what it waited for', async () => {
  let described = 0;
  await assert.rejects(
    waitFor(() => false, {
      timeoutMs: 30,
      intervalMs: 5,
      what: () => `the answer (asked ${++described}×)`,
    }),
    /timed out after 30 ms waiting for the answer \(asked 1×\)/,
  );
  await assert.rejects(
    waitFor(() => 0, { timeoutMs: 10, what: 'zero' }),
    /waiting for zero$/,
  );
});
