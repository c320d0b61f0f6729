// Keypress → next asset displayed on the review page, on a 500-asset library served by the real
// core-server, in Chromium. Assets are discovered by the real scanner, then set to
// DECISION_PENDING directly in SQLite (processing is not what is measured). Prints p50/p95 of
// "next asset shown" (the header of the next asset, from the list summary) and, as the same-run
// baseline, of "next asset's detail loaded" (a GET round trip per key, what the page used to
// wait for before showing anything). Target: p95 ≤ 100 ms. Run: npx tsx bench/review-keypress.ts
import { existsSync } from 'node:fs';
import type { SqliteCoreStore } from '../core-server/src/store/sqlite/sqlite-core-store.js';
import {
  CHROMIUM,
  drop,
  openBrowser,
  startReviewLibrary,
} from '../core-server/test/support/review-library.js';

const N = 500;
/** Noise floor of this machine right now: a key with no action, until the next frame. */
const NOOP_FRAME = `new Promise((resolve) => {
  const start = performance.now();
  document.querySelector('.asset-list').dispatchEvent(new KeyboardEvent('keydown', { key: 'q', bubbles: true }));
  requestAnimationFrame(() => resolve(performance.now() - start));
})`;
const PRESS_AND_WAIT = `new Promise((resolve) => {
  const before = document.querySelector('.detail').dataset.uuid;
  const start = performance.now();
  let shownAt = 0;
  function check() {
    const d = document.querySelector('.detail');
    if (!shownAt && d.dataset.uuid !== before) shownAt = performance.now() - start;
    if (shownAt && d.dataset.loaded === 'true') return resolve([shownAt, performance.now() - start]);
    requestAnimationFrame(check);
  }
  setTimeout(() => resolve([NaN, NaN]), 5000);
  document.querySelector('.asset-list').dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
  requestAnimationFrame(check);
})`;
const KEYS = 120;

if (!existsSync(CHROMIUM)) {
  console.log(`skipped: no Chromium at ${CHROMIUM}`);
  process.exit(0);
}
const lib = await startReviewLibrary();
try {
  const names = Array.from({ length: N }, (_, i) => `bench/IMG_${String(i).padStart(4, '0')}.jpg`);
  await drop(lib, lib.media.jpeg, names);
  (lib.core.server.context.store as SqliteCoreStore).db
    .prepare(`UPDATE assets SET state = 'DECISION_PENDING', revision = revision + 1`)
    .run();
  const { browser, page } = await openBrowser(lib);
  await page
    .locator('.asset-item')
    .nth(N - 1)
    .waitFor({ state: 'attached', timeout: 60_000 });
  await page.locator('.asset-list').focus();
  const shown: number[] = [];
  const floor: number[] = [];
  const loaded: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    // A string, not a function: tsx would wrap named closures in a helper the page lacks.
    const t = (await page.evaluate(PRESS_AND_WAIT)) as [number, number];
    floor.push((await page.evaluate(NOOP_FRAME)) as number);
    if (Number.isNaN(t[0])) throw new Error(`key ${i}: the next asset never showed`);
    shown.push(t[0]);
    loaded.push(t[1]);
  }
  const pct = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
  const row = (label: string, xs: number[]) =>
    console.log(
      `${label.padEnd(34)} p50 ${pct(xs, 0.5).toFixed(1)} ms  p95 ${pct(xs, 0.95).toFixed(1)} ms`,
    );
  console.log(`review keypress bench: ${N} assets, ${KEYS} key presses (ArrowDown)`);
  row('next asset shown', shown);
  row('baseline: next detail loaded', loaded);
  row('noise floor: no-op key → frame', floor);
  console.log(
    `ratio shown/loaded (p95): ${(pct(shown, 0.95) / pct(loaded, 0.95)).toFixed(2)}; target p95 ≤ 100 ms: ${pct(shown, 0.95) <= 100 ? 'met' : 'NOT met'}`,
  );
  await browser.close();
} finally {
  await lib.dispose();
}
