#!/usr/bin/env node
// Runs every `*.test.ts(x)` file of the workspace with Node's own test runner (through tsx),
// so one command and one reporter cover all packages. Optional arguments narrow the run to
// files whose path contains one of them, e.g. `npm test -- core-server` or `npm test -- lease`.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = ['protocol', 'core-server', 'agent-core', 'renderer', 'electron', 'e2e'];
const skipDirs = new Set(['node_modules', 'dist', 'out', 'release', 'test-artifacts']);

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name) || name.startsWith('.')) continue;
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) collect(full, out);
    else if (/\.test\.tsx?$/.test(name)) out.push(relative(root, full));
  }
  return out;
}

const filters = process.argv.slice(2);
let files = roots.flatMap((r) => {
  try {
    return collect(join(root, r), []);
  } catch {
    return [];
  }
});
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
files.sort();
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const args = [
  '--import',
  'tsx',
  // Fails a file that outlives its tests (open server, child, timer, busy loop), naming what is
  // still open, instead of letting the run hang (TEST_LINGER_MS, default 20 s).
  '--import',
  './scripts/test-support/linger-watchdog.mjs',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=600000',
  '--test-reporter=spec',
  ...files,
];
// The run gets its own temp dir, removed at the end, so a test that forgets its folders (or a
// child killed mid-write) cannot fill the machine's /tmp run after run. What was left is
// counted by name so a leaking test stays visible.
const runTmp = mkdtempSync(join(tmpdir(), 'retaia-test-run-'));
// mkdtemp makes it 0700; run as root, the PostgreSQL test clusters run as the postgres user,
// who must be able to reach their folder inside it (the folders themselves stay private).
chmodSync(runTmp, 0o755);
const env = { ...process.env, TMPDIR: runTmp, TMP: runTmp, TEMP: runTmp };
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env });
child.on('exit', (code, signal) => {
  const left = readdirSync(runTmp);
  if (left.length) {
    const byName = {};
    for (const n of left) {
      const key = n.replace(/[-_.][A-Za-z0-9]{6}$/, '-*');
      byName[key] = (byName[key] ?? 0) + 1;
    }
    const list = Object.entries(byName).map(([k, v]) => `${k} ×${v}`);
    console.log(`\ntemp entries left by tests (removed now): ${list.join(', ')}`);
  }
  rmSync(runTmp, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
