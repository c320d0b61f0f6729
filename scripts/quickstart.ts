// `npm start`: the whole product on one machine, in one command.
//   1. core-server on an embedded default (SQLite + a demo storage root under .retaia-demo/,
//      filled with generated sample media when empty, or the storage root you pass);
//   2. the agent daemon (its own process, its own data dir and control socket), enrolled
//      automatically — auto-approval exists ONLY in this demo mode;
//   3. the desktop app when a display and the Electron binary are available.
// Ctrl-C stops everything cleanly (the daemon fails its running jobs as retryable first).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ControlClient } from '../agent-core/src/runtime/control-client.js';
import { createDemoLibrary } from './demo-library.js';
import { assetCounts, demoUser, isSettled, login } from './demo-progress.js';

const repo = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    home: { type: 'string', default: join(repo, '.retaia-demo') },
    'storage-root': { type: 'string' },
    'storage-id': { type: 'string', default: 'demo' },
    'init-storage': { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    'no-desktop': { type: 'boolean', default: false },
    transcribe: { type: 'boolean', default: false },
    'exit-when-done': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`npm start -- [options]
  --home DIR           where the demo keeps its data (default .retaia-demo/)
  --storage-root DIR   use your own media folder as Core's storage root (INBOX/ inside it)
  --storage-id ID      storage id written to the .retaia marker (default "demo")
  --init-storage       make --storage-root a new storage root when it has no .retaia marker yet
  --port N             core-server port (default 8080; when busy, the last run's port, else a free one)
  --no-desktop         do not open the desktop app
  --transcribe         turn on features.ai.transcribe_audio (needs a whisper model: retaia-agent models)
  --exit-when-done     stop once every asset is processed and print assets/minute`);
  process.exit(0);
}

const home = resolve(args.home);
const storageRoot = resolve(args['storage-root'] ?? join(home, 'storage'));
const storageId = args['storage-id'];
// The demo's own root is created freely; a root you pass must exist (an unmounted NAS volume is
// never recreated on the system disk) unless you ask for --init-storage.
const ownDemoRoot = !args['storage-root'];
const paths = {
  coreData: join(home, 'core'),
  coreConfig: join(home, 'core.json'),
  agentConfig: join(home, 'agent', 'config.json'),
  agentData: join(home, 'agent', 'data'),
  agentSocket: join(home, 'agent', 'agent.sock'),
  logs: join(home, 'logs'),
};
const children: { name: string; child: ChildProcess }[] = [];
const say = (msg: string) => console.log(`[retaia] ${msg}`);

function spawnLogged(name: string, cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const log = createWriteStream(join(paths.logs, `${name}.log`), { flags: 'a' });
  const child = spawn(cmd, argv, {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (!shuttingDown) {
      say(`${name} exited (${signal ?? code}); see ${join(paths.logs, `${name}.log`)}`);
      void shutdown(1);
    }
  });
  return child;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, ms = 60_000) {
  return new Promise<RegExpExecArray>((resolveLine, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start within ${ms / 1000} s`)),
      ms,
    );
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolveLine(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (seen += d.toString()));
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${what} exited during start:\n${seen.slice(-2000)}`));
    });
  });
}

const node = process.execPath;
const coreCli = join(repo, 'core-server/bin/core-server.js');
const demoCore = join(repo, 'scripts/demo-core.ts');
const agentCli = join(repo, 'agent-core/bin/retaia-agent.js');

async function startCore(port: number) {
  await writeFile(
    paths.coreConfig,
    JSON.stringify(
      {
        storageRoot,
        storageId,
        dataDir: paths.coreData,
        port,
        // Demo mode only: files become READY after 10 s instead of 5 min so the demo moves
        // within a minute. Agents on this machine are approved by scripts/demo-core.ts.
        stabilityWindowMs: 10_000,
        scanIntervalMs: 3_000,
        deviceFlowIntervalSeconds: 1,
        featureFlags: { 'features.ai.transcribe_audio': args.transcribe },
      },
      null,
      2,
    ),
  );
  const core = spawnLogged('core-server', node, [
    '--import',
    'tsx',
    demoCore,
    '--config',
    paths.coreConfig,
    ...(ownDemoRoot || args['init-storage'] ? ['--init-storage'] : []),
  ]);
  const m = await waitForLine(core, /listening on (\S+)/, 'core-server');
  return m[1]!.replace(/\/api\/v1\/?$/, '');
}

function ensureDemoUser() {
  const r = spawnSync(
    node,
    [
      coreCli,
      'users',
      'add',
      '--data-dir',
      paths.coreData,
      '--email',
      demoUser.email,
      '--password-stdin',
    ],
    { cwd: repo, encoding: 'utf8', input: demoUser.password },
  );
  if (r.status !== 0 && !/exist|UNIQUE/i.test(r.stderr)) {
    say(`could not create the demo operator: ${r.stderr.trim()}`);
  }
}

async function writeAgentConfig(coreUrl: string) {
  await mkdir(join(home, 'agent'), { recursive: true });
  let config: Record<string, unknown> = { max_parallel_jobs: 2, agent_name: 'demo agent' };
  if (existsSync(paths.agentConfig)) {
    config = JSON.parse(await readFile(paths.agentConfig, 'utf8')) as Record<string, unknown>;
  }
  config.core_url = coreUrl;
  config.storage_mounts = { ...(config.storage_mounts as object), [storageId]: storageRoot };
  await writeFile(paths.agentConfig, JSON.stringify(config, null, 2));
}

const agentEnv = () => ({
  RETAIA_AGENT_CONFIG: paths.agentConfig,
  RETAIA_AGENT_DATA_DIR: paths.agentData,
  RETAIA_AGENT_SOCKET: paths.agentSocket,
});

async function startAgent(): Promise<ControlClient> {
  spawnLogged('agent', node, [agentCli, 'daemon', 'start', '--foreground'], agentEnv());
  const control = new ControlClient(paths.agentSocket, 2000);
  for (let i = 0; i < 120 && !(await control.isRunning()); i++) await sleep(500);
  if (!(await control.isRunning())) throw new Error('the agent daemon did not come up');
  // The daemon reads its saved credentials before answering: "enrolled" here means a restart
  // reuses them, and only a new agent goes through the device flow.
  const status = await patiently('agent status', () => control.status());
  if (status.auth.state !== 'enrolled') {
    say('enrolling the agent (device flow, auto-approved in demo mode)…');
    await patiently('agent enrolment', () => control.startEnrolment('quick start demo agent'));
    await untilEnrolled(control);
  }
  return control;
}

/**
 * Follows the daemon's events (no polling) until the agent is enrolled. The stream starts with
 * a status, so an approval that came before we subscribed counts; a dropped stream is reopened.
 */
async function untilEnrolled(control: ControlClient, budgetMs = 60_000): Promise<void> {
  const deadline = AbortSignal.timeout(budgetMs);
  let ended: string | undefined;
  while (!deadline.aborted && !ended) {
    try {
      for await (const event of control.events(deadline)) {
        if (event.type === 'status' && event.status.auth.state === 'enrolled') return;
        if (event.type === 'enrolment' && !['pending', 'approved'].includes(event.enrolment.state))
          ended = `${event.enrolment.state}${event.enrolment.message ? `: ${event.enrolment.message}` : ''}`;
        if (ended) break;
      }
    } catch (err) {
      say(`warning: the agent's event stream dropped (${(err as Error).message}); reopening`);
      await sleep(500);
    }
  }
  throw new Error(
    `enrolment did not finish: ${ended ?? `no approval within ${budgetMs / 1000} s`}`,
  );
}

function desktopAvailability(): { ok: true; electron: string } | { ok: false; why: string } {
  if (args['no-desktop']) return { ok: false, why: '--no-desktop' };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { ok: false, why: 'no display (DISPLAY/WAYLAND_DISPLAY unset)' };
  }
  try {
    const electron = createRequire(join(repo, 'electron/package.json'))('electron') as unknown;
    if (typeof electron === 'string' && existsSync(electron)) return { ok: true, electron };
  } catch {
    /* fall through */
  }
  return {
    ok: false,
    why: 'the Electron binary is not installed (npm ci with ELECTRON_SKIP_BINARY_DOWNLOAD, or no internet)',
  };
}

function startDesktop(electron: string) {
  if (!existsSync(join(repo, 'electron/dist/main.cjs'))) {
    say('building the desktop app…');
    spawnSync('npm', ['run', 'build', '-w', 'electron'], { cwd: repo, stdio: 'inherit' });
  }
  spawnLogged('desktop', electron, [join(repo, 'electron')], agentEnv());
}

let shuttingDown = false;
async function shutdown(code: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping…');
  // Agent first: it stops claiming and hands running jobs back to Core before Core goes away.
  for (const name of ['desktop', 'agent', 'core-server']) {
    for (const { child } of children.filter((c) => c.name === name)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const exited = new Promise((r) => child.once('exit', r));
      const timeout = sleep(20_000).then(() => child.kill('SIGKILL'));
      await Promise.race([exited, timeout]);
    }
  }
  say('stopped.');
  process.exit(code);
}

/**
 * The asked port when free. When it is busy, the port the last run fell back to (read from the
 * agent config it wrote), so a restart keeps the same Core URL and with it the agent's saved
 * enrolment (credentials are tied to the Core URL); a new free port only when that one is taken too.
 */
async function choosePort(wanted: number): Promise<number> {
  if (await portIsFree(wanted)) return wanted;
  let last: number | undefined;
  try {
    const config = JSON.parse(await readFile(paths.agentConfig, 'utf8')) as { core_url?: string };
    last = Number(new URL(config.core_url ?? '').port) || undefined;
  } catch {
    last = undefined;
  }
  if (last && last !== wanted && (await portIsFree(last))) {
    say(`port ${wanted} is busy, using ${last} again (the port of the last run)`);
    return last;
  }
  say(`port ${wanted} is busy, using a free one`);
  return 0;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort(true)));
  });
}

/**
 * A busy machine can make one call slow (the daemon's control API answers within 2 s, Core
 * within its own limits): retry with backoff and say so, instead of stopping everything. Gives
 * up only after `budgetMs` of consecutive failures (a process that really died is caught by its
 * exit handler much sooner).
 */
async function patiently<T>(what: string, fn: () => Promise<T>, budgetMs = 120_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (shuttingDown || Date.now() >= deadline)
        throw new Error(`${what} kept failing for ${budgetMs / 1000} s: ${message}`);
      const delay = Math.min(10_000, 500 * 2 ** attempt);
      say(`warning: ${what} failed (${message}); retrying in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay);
    }
  }
}
async function main() {
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  await mkdir(paths.logs, { recursive: true });
  if (ownDemoRoot) await mkdir(join(storageRoot, 'INBOX'), { recursive: true });

  if (spawnSync('ffmpeg', ['-version']).status !== 0 && !process.env.FFMPEG_PATH) {
    say(
      'ffmpeg not found: media jobs will not be offered to this agent (install ffmpeg or set FFMPEG_PATH).',
    );
  }
  if (ownDemoRoot && (await readdir(join(storageRoot, 'INBOX'))).length === 0) {
    say('generating sample media in the demo INBOX…');
    await createDemoLibrary(join(storageRoot, 'INBOX'));
  }

  const coreUrl = await startCore(await choosePort(Number(args.port)));
  const apiUrl = `${coreUrl}/api/v1`;
  ensureDemoUser();
  await writeAgentConfig(apiUrl);
  const control = await startAgent();
  const desktop = desktopAvailability();
  if (desktop.ok) startDesktop(desktop.electron);

  const started = Date.now();
  console.log(`
  Retaia is running.
    Core API       ${apiUrl}
    Review page    ${coreUrl}/review/   (login ${demoUser.email} / ${demoUser.password})
    Storage root   ${storageRoot}   (drop media into INBOX/; ready after ~10 s of stability)
    Agent daemon   socket ${paths.agentSocket}
    Desktop app    ${desktop.ok ? 'started' : `not started: ${desktop.why}`}
    Logs           ${paths.logs}/

  Try next:
    RETAIA_AGENT_SOCKET=${paths.agentSocket} node agent-core/bin/retaia-agent.js jobs
    node core-server/bin/core-server.js assets list --data-dir ${paths.coreData}
  Ctrl-C stops everything.
`);

  const token = await login(apiUrl);
  let last = '';
  for (;;) {
    await sleep(3000);
    if (shuttingDown) return;
    const [counts, status] = await Promise.all([
      patiently('listing assets', () => assetCounts(apiUrl, token)),
      patiently('agent status', () => control.status()),
    ]);
    const states = Object.entries(counts.byState)
      .map(([s, n]) => `${s} ${n}`)
      .join(' · ');
    const jobs = status.currentJobs
      .map(
        (j) =>
          `${j.jobType} ${j.sourceName}${j.percent !== undefined ? ` ${Math.round(j.percent)}%` : ''}`,
      )
      .join(', ');
    const line = `assets: ${states || 'none yet'} | agent ${status.state}${jobs ? `: ${jobs}` : ''}`;
    if (line !== last) say(line);
    last = line;
    const done = counts.total > 0 && Object.entries(counts.byState).every(([s]) => isSettled(s));
    if (done && args['exit-when-done']) {
      const minutes = (Date.now() - started) / 60_000;
      say(
        `all ${counts.total} assets processed in ${(minutes * 60).toFixed(1)} s (${(counts.total / minutes).toFixed(1)} assets/minute, stability window included)`,
      );
      await shutdown(0);
      return;
    }
  }
}

main().catch(async (err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
});
