#!/usr/bin/env node
// Runs the benchmarks in bench/ one after another (they compete for the same 2 cores otherwise).
// `npm run bench -- rescan` runs only those whose file name contains "rescan".
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const benchDir = new URL('../bench/', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no benchmark matched');
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== bench/${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${f}`], {
    cwd: new URL('..', import.meta.url).pathname,
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
