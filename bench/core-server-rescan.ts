// Rescan cost of N unchanged files (default 100,000) against a plain recursive readdir+stat
// walk of the same tree in the same run. Run: npx tsx bench/core-server-rescan.ts [N]
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startCoreServer } from '../core-server/src/index.js';

const N = Number(process.argv[2] ?? process.env.BENCH_FILES ?? 100_000);
const PER_DIR = 1000;

async function plainWalk(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) n += await plainWalk(full);
    else {
      await stat(full);
      n++;
    }
  }
  return n;
}

async function main() {
  const base = await mkdtemp(path.join(os.tmpdir(), 'bench-rescan-'));
  const root = path.join(base, 'storage');
  try {
    const t0 = performance.now();
    for (let d = 0; d < Math.ceil(N / PER_DIR); d++) {
      const dir = path.join(root, 'INBOX', `d${d}`);
      await mkdir(dir, { recursive: true });
      const batch = [];
      for (let i = 0; i < PER_DIR && d * PER_DIR + i < N; i++)
        batch.push(writeFile(path.join(dir, `f${i}.jpg`), 'x'));
      await Promise.all(batch);
    }
    console.log(`created ${N} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const server = await startCoreServer({
      storageRoot: root,
      initStorage: true,
      storageId: 'bench',
      dataDir: path.join(base, 'data'),
      port: 0,
      scanIntervalMs: 0,
      stabilityWindowMs: 0,
      logger: pino({ level: 'silent' }),
    });
    try {
      const first = await server.scanNow();
      const second = await server.scanNow(); // all become READY, jobs planned
      console.log(
        `first scan (insert) ${first.duration_ms} ms, second (READY + ${2 * N} jobs) ${second.duration_ms} ms`,
      );
      const walks: number[] = [];
      const rescans: number[] = [];
      const phases: string[] = [];
      for (let i = 0; i < 3; i++) {
        const w = performance.now();
        const seen = await plainWalk(path.join(root, 'INBOX'));
        walks.push(performance.now() - w);
        if (seen !== N) throw new Error(`walk saw ${seen}`);
        const r = await server.scanNow();
        rescans.push(r.duration_ms);
        phases.push(JSON.stringify(r.phases_ms));
        if (r.new_assets || r.became_ready) throw new Error('rescan found changes');
      }
      const best = (xs: number[]) => Math.min(...xs);
      console.log(`plain readdir+stat walk: ${best(walks).toFixed(0)} ms (best of 3)`);
      console.log(
        `core-server rescan (unchanged): ${best(rescans).toFixed(0)} ms best, ${Math.max(...rescans).toFixed(0)} ms worst of 3 ` +
          `(the first reloads the index the READY writes changed; the others reuse it)`,
      );
      console.log(`  phases (ms): ${phases.join('  ')}`);
      console.log(`ratio rescan/walk: ${(best(rescans) / best(walks)).toFixed(2)}`);
    } finally {
      await server.close();
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

await main();
