import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeDaemonControl } from '../../test/support/fake-daemon-control.js';
import { DEFAULT_PREFERENCES } from './app-preferences.js';
import { createBridgeHandlers } from './bridge-handlers.js';
import { REDACTED, redactSecrets } from './secret-redaction.js';

function setup() {
  const daemon = new FakeDaemonControl();
  const opened: string[] = [];
  const clipboard: string[] = [];
  const handlers = createBridgeHandlers(() => daemon, {
    pickFolder: async () => ({ canceled: true }),
    copyToClipboard: async (t) => void clipboard.push(t),
    openExternal: async (u) => void opened.push(u),
    getPreferences: () => DEFAULT_PREFERENCES,
    setPreferences: async () => DEFAULT_PREFERENCES,
    restartDaemon: async () => undefined,
    agentDataDir: () => '/nonexistent',
    pickModelFile: async () => undefined,
    sendEvent: () => undefined,
  });
  return { daemon, handlers, opened, clipboard };
}

test('redaction scrubs secret leaves but keeps where secrets live', () => {
  const out = redactSecrets({
    secret_key: 's3cr3t',
    nested: { access_token: 'abc', token_file: '/run/token', list: [{ password: 'p' }] },
    secretStore: { kind: 'file', detail: '0600 file' },
  });
  assert.deepEqual(out, {
    secret_key: REDACTED,
    nested: { access_token: REDACTED, token_file: '/run/token', list: [{ password: REDACTED }] },
    secretStore: { kind: 'file', detail: '0600 file' },
  });
});

test('getConfig never hands a secret to the renderer, and saving puts it back', async () => {
  const { daemon, handlers } = setup();
  daemon.config = { core_url: 'http://127.0.0.1:1/api/v1', storage_mounts: {} };
  const original = daemon.getConfig.bind(daemon);
  daemon.getConfig = async () => {
    const v = await original();
    return { ...v, config: { ...(v.config as object), api_key: 'k-123' } };
  };
  const view = await handlers.getConfig();
  assert.equal((view.config as { api_key: string }).api_key, REDACTED);
  let saved: unknown;
  daemon.saveConfig = async (c) => {
    saved = c;
    return { ok: true, problems: [] };
  };
  await handlers.saveConfig({ ...(view.config as object), max_parallel_jobs: 2 });
  assert.equal((saved as { api_key: string }).api_key, 'k-123');
  assert.equal((saved as { max_parallel_jobs: number }).max_parallel_jobs, 2);
});

test('enrolment opens only the URL the daemon provides', async () => {
  const { handlers, opened } = setup();
  await handlers.openEnrolmentPage();
  assert.deepEqual(opened, [], 'nothing pending: nothing opened');
  const view = await handlers.startEnrolment('studio');
  assert.equal(view.userCode, 'WDJB-MJHT');
  assert.deepEqual(opened, ['http://127.0.0.1:8080/device?user_code=WDJB-MJHT']);
});

test('bad input from the renderer is refused with a readable message', async () => {
  const { handlers, daemon } = setup();
  await assert.rejects(handlers.validateMount('', '/mnt'), /storage id must be a non-empty string/);
  await assert.rejects(
    handlers.copyToClipboard(42 as unknown as string),
    /clipboard text must be a string/,
  );
  assert.ok(!daemon.calls.includes('validateMount'));
});

test('pause and resume from the UI carry the user reason', async () => {
  const { handlers, daemon } = setup();
  assert.equal((await handlers.pause()).state, 'paused');
  assert.equal((await handlers.resume()).state, 'running');
  assert.deepEqual(daemon.calls, ['pause:user', 'resume:user']);
});

test('attack: a Core-supplied file:// or foreign approval URL is never opened', async () => {
  const { handlers, daemon, opened } = setup();
  for (const url of [
    'file:///etc/passwd',
    'https://evil.example/device?user_code=WDJB-MJHT',
    'http://127.0.0.1:8081/device?user_code=WDJB-MJHT',
  ]) {
    daemon.enrol = {
      state: 'pending',
      userCode: 'WDJB-MJHT',
      verificationUri: url,
      verificationUriComplete: url,
    };
    await assert.rejects(handlers.openEnrolmentPage(), /Not opening the approval page/);
  }
  assert.deepEqual(opened, []);
});
