// The CLI as users run it (a real child process through bin/retaia-agent.js), and the text of
// the generated autostart units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  systemdUserUnit,
  launchdPlist,
  windowsLoginItem,
  type ServiceCommand,
} from '../src/cli/service-units.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/retaia-agent.js', import.meta.url));

async function cli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env, RETAIA_AGENT_SECRET_STORE: 'file' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const cmd: ServiceCommand = {
  program: '/usr/bin/node',
  args: ['/opt/retaia agent/bin/retaia-agent.js', 'daemon', 'start', '--foreground'],
  env: { RETAIA_AGENT_CONFIG: '/home/u/my config.json' },
  logPath: '/home/u/.local/share/retaia-agent/daemon.log',
};

test('systemd user unit: quoted ExecStart, restart on failure, SIGTERM, enabled for the login session', () => {
  const unit = systemdUserUnit(cmd);
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/node "\/opt\/retaia agent\/bin\/retaia-agent\.js" daemon start --foreground$/m,
  );
  assert.match(unit, /^Environment="RETAIA_AGENT_CONFIG=\/home\/u\/my config\.json"$/m);
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^KillSignal=SIGTERM$/m);
  assert.match(unit, /^WantedBy=default\.target$/m);
});

test('launchd agent: label, argv, RunAtLoad, KeepAlive on failure, escaped XML', () => {
  const plist = launchdPlist({ ...cmd, args: [...cmd.args, '--config', '/a&b'] });
  assert.match(plist, /<key>Label<\/key><string>org\.retaia\.agent<\/string>/);
  assert.match(plist, /<string>\/opt\/retaia agent\/bin\/retaia-agent\.js<\/string>/);
  assert.match(plist, /<string>\/a&amp;b<\/string>/);
  assert.match(plist, /<key>RunAtLoad<\/key><true\/>/);
  assert.match(plist, /<key>SuccessfulExit<\/key><false\/>/);
  assert.match(
    plist,
    /<key>RETAIA_AGENT_CONFIG<\/key><string>\/home\/u\/my config\.json<\/string>/,
  );
});

test('Windows login item: Run key command line with quoted paths', () => {
  const item = windowsLoginItem({ ...cmd, program: 'C:\\Program Files\\nodejs\\node.exe' });
  assert.equal(
    item.commandLine,
    '"C:\\Program Files\\nodejs\\node.exe" "/opt/retaia agent/bin/retaia-agent.js" daemon start --foreground',
  );
  assert.deepEqual(item.install.slice(0, 3), [
    'add',
    'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
    '/v',
  ]);
  assert.ok(item.uninstall.includes('delete'));
});

test('CLI: config init/set/validate/show/path, --json, exit codes, daemon status without daemon', async () => {
  const dir = makeTempDir('cli-');
  const env = {
    RETAIA_AGENT_CONFIG: join(dir, 'config.json'),
    RETAIA_AGENT_DATA_DIR: join(dir, 'data'),
  };
  assert.equal((await cli(env, 'config', 'path')).stdout.trim(), env.RETAIA_AGENT_CONFIG);
  assert.equal(
    (
      await cli(
        env,
        'config',
        'init',
        '--core-url',
        'http://127.0.0.1:1',
        '--storage',
        `nas=${dir}`,
      )
    ).code,
    0,
  );
  const again = await cli(env, 'config', 'init');
  assert.equal(again.code, 2);
  assert.match(again.stderr, /--force/);
  const bad = await cli(env, 'config', 'set', 'core_url', 'http://nas.example');
  assert.equal(bad.code, 2);
  assert.match(bad.stdout, /core_url: plain http:\/\/ is only allowed to loopback/);
  assert.equal(
    JSON.parse(await readFile(env.RETAIA_AGENT_CONFIG, 'utf8')).core_url,
    'http://127.0.0.1:1',
    'invalid value never written',
  );
  assert.equal((await cli(env, 'config', 'set', 'max_parallel_jobs', '3')).code, 0);
  const shown = JSON.parse((await cli(env, '--json', 'config', 'show')).stdout);
  assert.equal(shown.config.max_parallel_jobs, 3);
  assert.equal(shown.config.core_url, 'http://127.0.0.1:1/api/v1');
  assert.equal(shown.secretStore.kind, 'file');
  assert.equal(shown.daemonRunning, false);
  const validate = await cli(env, '--json', 'config', 'validate');
  assert.equal(JSON.parse(validate.stdout).ok, true);
  const status = await cli(env, '--json', 'daemon', 'status');
  assert.equal(status.code, 3);
  assert.equal(JSON.parse(status.stdout).state, 'stopped');
  const noId = await cli(env, 'identity', 'show');
  assert.equal(noId.code, 1);
  assert.match(noId.stderr, /no identity yet/);
  const install = await cli(env, 'daemon', 'install', '--print');
  assert.match(install.stdout, /RETAIA_AGENT_DATA_DIR=/);
});

test('CLI: enrol --no-browser through a running daemon, then identity rotate-key re-registers', async (t) => {
  const { FakeCore } = await import('./support/fake-core.js');
  const { makeDaemonFixture } = await import('./support/daemon-fixture.js');
  const { startDaemon } = await import('../src/runtime/daemon.js');
  const core = await new FakeCore().start();
  core.deviceInterval = 0;
  core.deviceApproved = true;
  t.after(() => core.close());
  const fx = await makeDaemonFixture(core.url);
  const env = { RETAIA_AGENT_CONFIG: fx.configPath, RETAIA_AGENT_DATA_DIR: fx.dataDir };
  const daemon = await startDaemon({
    configPath: fx.configPath,
    dataDir: fx.dataDir,
    secretStore: 'file',
    processors: new Map(),
    detectCapabilities: async () => ({ capabilities: [], problems: [] }),
    logDestination: fx.logDestination,
    intervals: { enrolPollMinMs: 20, reconnectMs: 50 },
  });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await daemon.stop();
  });
  const enrol = await cli(env, 'enrol', '--no-browser');
  assert.equal(enrol.code, 0, enrol.stderr);
  assert.match(enrol.stdout, /Visit http:\/\/127\.0\.0\.1:\d+\/api\/v1\/device\?code=ABCD-EFGH/);
  assert.match(enrol.stdout, /code: ABCD-EFGH/);
  assert.match(enrol.stdout, /Enrolled/);
  const refused = await cli(env, 'identity', 'rotate-key');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /stop the daemon first/);
  await daemon.stop();
  stopped = true;
  const before = JSON.parse((await cli(env, '--json', 'identity', 'show')).stdout);
  const rotated = await cli(env, '--json', 'identity', 'rotate-key');
  assert.equal(rotated.code, 0, rotated.stderr);
  const out = JSON.parse(rotated.stdout);
  assert.equal(out.registered, true);
  assert.notEqual(out.fingerprint, before.fingerprint);
  assert.equal(
    core.agentKeys.get(before.agentId)?.fingerprint,
    out.fingerprint,
    'Core now holds the new key',
  );
  const history = await cli(env, '--json', 'jobs');
  assert.deepEqual(JSON.parse(history.stdout), { current: [], history: [] });
});

test('CLI: daemon start (background) / status / second start refused / stop', async () => {
  const dir = makeTempDir('cli-d-');
  const env = {
    RETAIA_AGENT_CONFIG: join(dir, 'config.json'),
    RETAIA_AGENT_DATA_DIR: join(dir, 'data'),
  };
  assert.equal((await cli(env, 'config', 'init', '--core-url', 'http://127.0.0.1:9')).code, 0);
  const started = await cli(env, '--json', 'daemon', 'start');
  assert.equal(started.code, 0, started.stderr);
  try {
    const status = JSON.parse((await cli(env, '--json', 'daemon', 'status')).stdout);
    assert.equal(status.state, 'degraded');
    assert.match(status.reason, /not enrolled/);
    const again = await cli(env, 'daemon', 'start');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already running/);
    const shown = JSON.parse((await cli(env, '--json', 'config', 'show')).stdout);
    assert.equal(shown.daemonRunning, true);
  } finally {
    const stopped = await cli(env, 'daemon', 'stop');
    assert.match(stopped.stdout, /Daemon stopped/);
  }
  assert.equal((await cli(env, 'daemon', 'status')).code, 3);
});
