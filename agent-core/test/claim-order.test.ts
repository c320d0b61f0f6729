// The agent's claim order (runtime/claim-order.ts): a random one of the first few assets first,
// an asset's jobs together, nothing dropped, the rest in Core's order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimOrder, HEAD_ASSETS } from '../src/runtime/claim-order.js';

/** Core's list: assets a0…a5, review jobs of one asset not always next to each other. */
const listed = [
  { job_id: 'facts-0', asset_uuid: 'a0' },
  { job_id: 'facts-1', asset_uuid: 'a1' },
  { job_id: 'thumbs-0', asset_uuid: 'a0' },
  { job_id: 'facts-2', asset_uuid: 'a2' },
  { job_id: 'facts-3', asset_uuid: 'a3' },
  { job_id: 'facts-4', asset_uuid: 'a4' },
  { job_id: 'thumbs-4', asset_uuid: 'a4' },
  { job_id: 'facts-5', asset_uuid: 'a5' },
];
const ids = (jobs: { job_id: string }[]) => jobs.map((j) => j.job_id);

test('a draw of the first head asset keeps Core’s order exactly', () => {
  assert.deepEqual(
    claimOrder(listed, () => 0),
    listed,
  );
  assert.deepEqual(
    claimOrder([], () => 0.7),
    [],
  );
});

test('another head asset goes first, with its jobs together; nothing is dropped', () => {
  assert.equal(HEAD_ASSETS, 4);
  // 0.5 of 4 head assets: a2 first, then a3, then the skipped a0 and a1, then the rest.
  assert.deepEqual(ids(claimOrder(listed, () => 0.5)), [
    'facts-2',
    'facts-3',
    'facts-0',
    'thumbs-0',
    'facts-1',
    'facts-4',
    'thumbs-4',
    'facts-5',
  ]);
  const last = claimOrder(listed, () => 0.99);
  assert.deepEqual(ids(last).slice(0, 3), ['facts-3', 'facts-0', 'thumbs-0']);
  assert.deepEqual([...ids(last)].sort(), [...ids(listed)].sort());
  // Fewer assets than the head: the draw is among those there are.
  const two = listed.filter((j) => j.asset_uuid === 'a0' || j.asset_uuid === 'a1');
  assert.deepEqual(ids(claimOrder(two, () => 0.99)), ['facts-1', 'facts-0', 'thumbs-0']);
});

test('agents polling together start on different assets', () => {
  const firsts = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const asset = claimOrder(listed)[0]!.asset_uuid;
    firsts.set(asset, (firsts.get(asset) ?? 0) + 1);
  }
  assert.deepEqual([...firsts.keys()].sort(), ['a0', 'a1', 'a2', 'a3']);
  // Each about a quarter (500 ± 19 expected): far from all on a0, as before.
  for (const [asset, n] of firsts) assert.ok(n > 350 && n < 650, `${asset}: ${n} of 2000`);
});
