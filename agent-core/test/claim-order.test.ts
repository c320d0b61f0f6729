// After a lost claim race the agent skips ahead by a random few jobs (runtime/claim-order.ts),
// so agents that lost the same race try different jobs next.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextAfterLostRace, SPREAD_AFTER_LOSS } from '../src/runtime/claim-order.js';

test('a loser tries one of the next few jobs, never one it already passed', () => {
  assert.equal(
    nextAfterLostRace(0, () => 0),
    1,
    'the lowest draw is the next job, as before',
  );
  assert.equal(
    nextAfterLostRace(5, () => 0.999),
    5 + SPREAD_AFTER_LOSS,
  );
  assert.equal(
    nextAfterLostRace(5, () => 1),
    5 + SPREAD_AFTER_LOSS,
    'a draw of 1 stays in range',
  );
});

test('agents that lost the same race spread over the next jobs', () => {
  const next = new Map<number, number>();
  for (let i = 0; i < 4000; i++) {
    const at = nextAfterLostRace(10);
    next.set(at, (next.get(at) ?? 0) + 1);
  }
  assert.deepEqual(
    [...next.keys()].sort((a, b) => a - b),
    Array.from({ length: SPREAD_AFTER_LOSS }, (_, i) => 11 + i),
  );
  // Each about an eighth (500 ± 21 expected): far from all on job 11, as before.
  for (const [at, n] of next) assert.ok(n > 350 && n < 650, `job ${at}: ${n} of 4000`);
});
