// Concurrent pollers get different heads of the claimable list (jobs/offer-spread.ts): agents
// claim in list order, so without it 50 agents polling together all reach for the same job.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { OfferSpreader } from '../src/jobs/offer-spread.js';
import { startTestCore, TestAgent } from './support/signed-test-client.js';

/** Three review jobs per asset, assets a0…a(n-1) in list order. */
const jobsOf = (n: number) =>
  Array.from({ length: n }, (_, a) =>
    ['facts', 'preview', 'thumbs'].map((t) => ({ job: `${t}-${a}`, asset: `a${a}` })),
  ).flat();
const assetOf = (j: { asset: string }) => j.asset;
const assets = (list: { asset: string }[]) => [...new Set(list.map(assetOf))];

test('the head of each poll goes to one agent for a moment; nothing is hidden, order is kept', () => {
  const spreader = new OfferSpreader(2, 1000);
  const jobs = jobsOf(6);
  const a = spreader.order(jobs, assetOf, 'agent-a', 0);
  assert.deepEqual(a, jobs, 'the first poller gets the list as it is');
  const b = spreader.order(jobs, assetOf, 'agent-b', 10);
  assert.deepEqual(assets(b), ['a2', 'a3', 'a4', 'a5', 'a0', 'a1'], "a's head moved last for b");
  assert.equal(b.length, jobs.length, 'every job is still listed');
  assert.deepEqual(
    b.slice(0, 3).map((j) => j.job),
    ['facts-2', 'preview-2', 'thumbs-2'],
    "an asset's jobs stay together (one agent, one decode)",
  );
  const c = spreader.order(jobs, assetOf, 'agent-c', 20);
  assert.deepEqual(assets(c).slice(0, 2), ['a4', 'a5']);
  assert.deepEqual(
    assets(spreader.order(jobs, assetOf, 'agent-a', 30)).slice(0, 2),
    ['a0', 'a1'],
    'an agent is not kept away from its own offer',
  );
  assert.deepEqual(
    assets(spreader.order(jobs, assetOf, 'agent-d', 1025)).slice(0, 2),
    ['a2', 'a3'],
    "a0/a1 are a's until 1030 (renewed at 30); b's a2/a3 lapsed at 1010",
  );
});

test('two agents polling Core at once are offered different assets first', async (t) => {
  const core = await startTestCore();
  t.after(() => core.dispose());
  await mkdir(path.join(core.root, 'INBOX'), { recursive: true });
  for (let i = 0; i < 10; i++)
    await writeFile(path.join(core.root, 'INBOX', `p${i}.jpg`), `photo ${i}`);
  await core.server.scanNow();
  await core.server.scanNow();
  const [one, two] = [await TestAgent.enrol(core.server), await TestAgent.enrol(core.server)];
  const [first, second] = await Promise.all([one.get('/jobs'), two.get('/jobs')]);
  assert.equal(first.status, 200);
  const firstAsset = (r: typeof first) => (r.body as { asset_uuid: string }[])[0]!.asset_uuid;
  assert.notEqual(firstAsset(first), firstAsset(second));
  assert.equal(first.body.length, second.body.length, 'both see every claimable job');
  // the winner of a race on the same asset still wins atomically
  const job = (first.body as { job_id: string }[])[0]!.job_id;
  const claims = await Promise.all([one.claim(job), two.claim(job)]);
  assert.deepEqual(claims.map((c) => c.status).sort(), [200, 409]);
});
