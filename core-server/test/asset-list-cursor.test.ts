// GET /assets cursors over real HTTP: walking next_cursor lists every asset once; assets
// discovered while someone pages (a card dump landing during review) never make a page repeat
// what an earlier one showed; a cursor for another sort or a tampered one is refused (422) with what to do; a
// numeric cursor from an older Core still works.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startTestCore, TestAgent } from './support/signed-test-client.js';

type Page = { items: Array<{ uuid: string; name: string }>; next_cursor: string | null };

test('asset list cursors: every asset once, stable while new assets arrive, bad cursors refused', async (t) => {
  const core = await startTestCore();
  t.after(() => core.dispose());
  const inbox = path.join(core.root, 'INBOX');
  await mkdir(inbox, { recursive: true });
  const drop = async (prefix: string, n: number) => {
    for (let i = 0; i < n; i++) await writeFile(path.join(inbox, `${prefix}${i}.jpg`), 'x');
    await core.server.scanNow();
  };
  await drop('first-', 9);
  const agent = await TestAgent.enrol(core.server, { register: false });
  const page = async (query: string) => {
    const res = await agent.get(`/assets?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as Page;
  };
  const walk = async (query: string, between?: () => Promise<void>) => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const p: Page = await page(
        `${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      names.push(...p.items.map((a) => a.name));
      cursor = p.next_cursor;
      if (between) await between();
      between = undefined;
    } while (cursor);
    return names;
  };

  for (const sort of ['-created_at', 'name', '-name', 'state', 'updated_at', 'duration']) {
    const all = (await page(`limit=500&sort=${sort}`)).items.map((a) => a.name);
    assert.equal(all.length, 9);
    assert.deepEqual(await walk(`limit=2&sort=${sort}`), all, `sort=${sort}`);
  }

  // A card dump lands after the first page (newest first): the next pages go on where the
  // first stopped. An offset cursor showed the first page's last assets again.
  const seen = await walk('limit=4', () => drop('second-', 3));
  assert.equal(new Set(seen).size, seen.length, `no asset twice: ${seen.join(', ')}`);
  assert.deepEqual(
    [...seen].sort(),
    Array.from({ length: 9 }, (_, i) => `first-${i}.jpg`).sort(),
    'every asset listed when the paging started, none skipped',
  );

  const byName = await page('limit=2&sort=name');
  const wrongSort = await agent.get(`/assets?limit=2&cursor=${byName.next_cursor}`);
  assert.equal(wrongSort.status, 422);
  assert.match(JSON.stringify(wrongSort.body), /another sort/);
  for (const bad of [
    'k1.not-json',
    'k1.' + Buffer.from('{"s":"name","v":1}').toString('base64url'),
    '-5',
    'abc',
  ]) {
    const res = await agent.get(`/assets?limit=2&sort=name&cursor=${encodeURIComponent(bad)}`);
    assert.equal(res.status, 422, `cursor ${bad}`);
    assert.match(JSON.stringify(res.body), /invalid cursor/);
  }
  // A duration is keyed by a number: text in its place is refused, not handed to the database.
  const textForDuration =
    'k1.' + Buffer.from('{"s":"-duration","v":"x","u":"u"}').toString('base64url');
  const refused = await agent.get(`/assets?limit=2&sort=-duration&cursor=${textForDuration}`);
  assert.equal(refused.status, 422);
  assert.match(JSON.stringify(refused.body), /invalid cursor/);
  const byDuration = await page('limit=2&sort=-duration');
  assert.match(String(byDuration.next_cursor), /^k1\./, 'durations page by key');
  const next = await page(`limit=2&sort=-duration&cursor=${byDuration.next_cursor}`);
  assert.equal(next.items.length, 2);
  const legacy = await page('limit=2&cursor=10');
  assert.equal(legacy.items.length, 2, 'an offset cursor from an older Core still pages');
});
