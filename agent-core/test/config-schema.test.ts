import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  validateAgentConfig,
  setConfigValue,
  parseConfigValue,
  normalizeCoreUrl,
} from '../src/config/config-schema.js';
import { loadConfigFile, saveConfigFile, ConfigError } from '../src/config/config-store.js';
import { defaultConfigPath, defaultDataDir, resolveAgentPaths } from '../src/config/agent-paths.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

function problems(raw: unknown) {
  const r = validateAgentConfig(raw);
  assert.equal(r.ok, false, 'expected the config to be refused');
  return r.problems;
}

test('a minimal config is normalised: /api/v1 appended, defaults filled', () => {
  const r = validateAgentConfig({ core_url: 'https://nas.local:8443/' });
  assert.ok(r.ok);
  assert.equal(r.config.core_url, 'https://nas.local:8443/api/v1');
  assert.equal(r.config.max_parallel_jobs, 1);
  assert.equal(r.config.cpu_priority, 10);
  assert.equal(r.config.log_level, 'info');
  assert.deepEqual(r.config.power_policy, {
    pause_on_battery: false,
    only_when_idle: false,
    respect_quiet_hours: true,
  });
  assert.deepEqual(normalizeCoreUrl('https://x/api/v1/'), { url: 'https://x/api/v1' });
  assert.deepEqual(normalizeCoreUrl('https://x/core'), { url: 'https://x/core/api/v1' });
});

test('plain http is refused off loopback unless allow_insecure_http, accepted on loopback', () => {
  const p = problems({ core_url: 'http://nas.local' });
  assert.equal(p[0]?.field, 'core_url');
  assert.match(p[0]!.message, /https:\/\/|allow_insecure_http/);
  assert.ok(validateAgentConfig({ core_url: 'http://nas.local', allow_insecure_http: true }).ok);
  for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:9000', '127.1.2.3']) {
    assert.ok(validateAgentConfig({ core_url: `http://${host}` }).ok, host);
  }
});

test('every invalid field is named with a fix', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ core_url: 'not a url' }, 'core_url', /not a URL/],
    [{ core_url: 'ftp://x' }, 'core_url', /scheme/],
    [{ core_url: 'https://u:p@x' }, 'core_url', /user name/],
    [{ storage_mounts: { 'nas-main': 'relative/path' } }, 'storage_mounts.nas-main', /absolute/],
    [{ storage_mounts: { 'bad id!': '/mnt' } }, 'storage_mounts.bad id!', /storage id/],
    [{ storage_mounts: [] }, 'storage_mounts', /object mapping/],
    [{ max_parallel_jobs: 0 }, 'max_parallel_jobs', /at least 1/],
    [{ max_parallel_jobs: 1.5 }, 'max_parallel_jobs', /whole number/],
    [{ max_parallel_jobs: '2' }, 'max_parallel_jobs', /whole number/],
    [{ cpu_priority: 25 }, 'cpu_priority', /at most 19/],
    [{ log_level: 'loud' }, 'log_level', /one of/],
    [
      { power_policy: { pause_on_battery: 'yes' } },
      'power_policy.pause_on_battery',
      /true or false/,
    ],
    [{ power_policy: { sleep: true } }, 'power_policy.sleep', /unknown field/],
    [{ core_ur: 'https://x' }, 'core_ur', /unknown field .*spelling/],
    [{ agent_name: '' }, 'agent_name', /empty/],
    [[], '(root)', /JSON object/],
  ];
  for (const [raw, field, re] of cases) {
    const p = problems(raw);
    const hit = p.find((x) => x.field === field);
    assert.ok(
      hit,
      `expected a problem on ${field} for ${JSON.stringify(raw)}, got ${JSON.stringify(p)}`,
    );
    assert.match(hit.message, re);
  }
});

test('the schema module has no node: import (the renderer loads it in the browser)', async () => {
  const text = await readFile(new URL('../src/config/config-schema.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(text, /from ['"]node:/);
  assert.doesNotMatch(text, /require\(/);
});

test('setConfigValue handles dotted keys and storage ids with dots; parseConfigValue parses JSON', () => {
  let raw = setConfigValue({}, 'power_policy.pause_on_battery', parseConfigValue('true'));
  raw = setConfigValue(raw, 'storage_mounts.nas.main', '/mnt/nas');
  raw = setConfigValue(raw, 'max_parallel_jobs', parseConfigValue('3'));
  assert.deepEqual(raw, {
    power_policy: { pause_on_battery: true },
    storage_mounts: { 'nas.main': '/mnt/nas' },
    max_parallel_jobs: 3,
  });
  assert.deepEqual(setConfigValue(raw, 'max_parallel_jobs', undefined), {
    power_policy: { pause_on_battery: true },
    storage_mounts: { 'nas.main': '/mnt/nas' },
  });
  assert.equal(parseConfigValue('https://x'), 'https://x');
});

test('config file: missing = defaults, invalid never written, bad JSON reported with the fix', async () => {
  const dir = makeTempDir('cfg-');
  const path = join(dir, 'sub', 'config.json');
  const loaded = await loadConfigFile(path);
  assert.equal(loaded.exists, false);
  await assert.rejects(saveConfigFile(path, { max_parallel_jobs: -1 }), ConfigError);
  await assert.rejects(stat(path), /ENOENT/);
  await saveConfigFile(path, { core_url: 'http://127.0.0.1:1' });
  assert.equal((await loadConfigFile(path)).config.core_url, 'http://127.0.0.1:1/api/v1');
  await writeFile(path, '{ nope');
  await assert.rejects(
    loadConfigFile(path),
    (err: ConfigError) => err.problems[0]?.field === '(file)' && /config init/.test(err.message),
  );
});

test('OS-conventional paths and overrides', () => {
  assert.equal(defaultConfigPath({ HOME: '/h' }, 'linux'), '/h/.config/retaia-agent/config.json');
  assert.equal(
    defaultConfigPath({ HOME: '/h', XDG_CONFIG_HOME: '/x' }, 'linux'),
    '/x/retaia-agent/config.json',
  );
  assert.equal(
    defaultConfigPath({ HOME: '/h' }, 'darwin'),
    '/h/Library/Application Support/retaia-agent/config.json',
  );
  assert.match(
    defaultConfigPath({ HOME: '/h', APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32'),
    /AppData.Roaming.retaia-agent.config\.json$/,
  );
  assert.equal(defaultConfigPath({ RETAIA_AGENT_CONFIG: '/etc/a.json' }, 'linux'), '/etc/a.json');
  assert.equal(defaultDataDir({ HOME: '/h' }, 'linux'), '/h/.local/share/retaia-agent');
  const p = resolveAgentPaths({ dataDir: '/d' }, { HOME: '/h' });
  assert.equal(p.controlSocketPath, '/d/agent.sock');
  assert.equal(
    resolveAgentPaths({}, { HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1' }).controlSocketPath,
    process.platform === 'linux'
      ? '/run/user/1/retaia-agent.sock'
      : '/h/.local/share/retaia-agent/agent.sock',
  );
});
