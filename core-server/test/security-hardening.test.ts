// Hardening of one running Core, attacked for real on loopback: who can read the database files,
// logout that really revokes, connections held open by trickled requests, malformed query
// strings, absolute paths in answers, MIME sniffing, and passwords in argv.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { pathScrubber } from '../src/http/scrub-paths.js';
import { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { http, startTestCore, type TestCore } from './support/signed-test-client.js';

const contract = loadContractValidator();
const PASSWORD = 'correct horse battery';
let core: TestCore;
let token: string;

before(async () => {
  core = await startTestCore({
    requestTimeoutMs: 1500,
    headersTimeoutMs: 1000,
    connectionIdleTimeoutMs: 2000,
  });
  await core.server.operator.addUser('op@example.com', PASSWORD);
  token = await login();
});
after(() => core.dispose());

async function login(): Promise<string> {
  const r = await http(`${core.server.apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'op@example.com', password: PASSWORD }),
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.access_token;
}
const asUser = (t: string) => ({ authorization: `Bearer ${t}` });
const mode = async (p: string) => (await stat(p)).mode & 0o777;

test('data dir is 0700 and the database files 0600, also when an older Core left them wider', async () => {
  assert.equal(await mode(core.dataDir), 0o700);
  for (const f of ['core.sqlite', 'core.sqlite-wal', 'core.sqlite-shm']) {
    assert.equal(await mode(path.join(core.dataDir, f)), 0o600, f);
  }
  const base = await mkdtemp(path.join(os.tmpdir(), 'core-perms-'));
  try {
    const dataDir = path.join(base, 'data');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    await writeFile(path.join(dataDir, 'core.sqlite'), '', { mode: 0o644 });
    await chmod(path.join(dataDir, 'core.sqlite'), 0o644);
    const old = await startTestCore({ dataDir, storageRoot: path.join(base, 'storage') });
    try {
      assert.equal(await mode(dataDir), 0o700);
      assert.equal(await mode(path.join(dataDir, 'core.sqlite')), 0o600);
    } finally {
      await old.dispose();
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('POST /auth/logout revokes the user token at once', async () => {
  const t = await login();
  assert.equal((await http(`${core.server.apiUrl}/assets`, { headers: asUser(t) })).status, 200);
  const out = await http(`${core.server.apiUrl}/auth/logout`, {
    method: 'POST',
    headers: asUser(t),
  });
  assert.equal(out.status, 200);
  assert.deepEqual(contract.responseErrors('POST', '/auth/logout', 200, out.body), []);
  const after = await http(`${core.server.apiUrl}/assets`, { headers: asUser(t) });
  assert.equal(after.status, 401);
  const again = await http(`${core.server.apiUrl}/auth/logout`, {
    method: 'POST',
    headers: asUser(t),
  });
  assert.equal(again.status, 401);
  assert.deepEqual(contract.responseErrors('POST', '/auth/logout', 401, again.body), []);
  // Another session of the same operator is untouched.
  assert.equal(
    (await http(`${core.server.apiUrl}/assets`, { headers: asUser(token) })).status,
    200,
  );
});

/** Opens a raw connection, sends `head`, then one byte every `everyMs`; resolves when closed. */
function trickle(head: string, drip: string, everyMs: number, giveUpMs: number) {
  return new Promise<{ closedAfterMs: number | undefined; answer: string }>((resolve) => {
    const started = Date.now();
    const socket = connect(core.server.port, '127.0.0.1');
    let answer = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < drip.length) socket.write(drip[i++]!);
    }, everyMs);
    const done = (closedAfterMs: number | undefined) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closedAfterMs, answer });
    };
    const giveUp = setTimeout(() => done(undefined), giveUpMs);
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => done(Date.now() - started));
    socket.on('error', () => undefined);
    socket.write(head);
  });
}

test('a body trickled one byte at a time is cut by the request timeout', async () => {
  const body = JSON.stringify({ email: 'op@example.com', password: 'x'.repeat(200) });
  const head = `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
  const r = await trickle(head, body, 300, 15_000);
  assert.ok(r.closedAfterMs !== undefined, 'the connection was still open after 15 s');
  assert.ok(r.closedAfterMs < 12_000);
});

test('headers trickled one byte at a time are cut by the headers timeout', async () => {
  const r = await trickle(
    'GET /api/v1/assets HTTP/1.1\r\n',
    'X-Slow: ' + 'a'.repeat(200),
    300,
    15_000,
  );
  assert.ok(r.closedAfterMs !== undefined, 'the connection was still open after 15 s');
});

test('a connection that never sends anything is closed', async () => {
  const r = await trickle('', '', 1000, 15_000);
  assert.ok(r.closedAfterMs !== undefined, 'the idle connection was still open after 15 s');
});

test('malformed query parameters are 422, never 500', async () => {
  for (const q of [
    'q=%00',
    'limit=1.5',
    'limit=abc',
    'limit=-1',
    'state=DECISION_PENDING&state=READY',
    'cursor=1&cursor=2',
  ]) {
    const r = await http(`${core.server.apiUrl}/assets?${q}`, { headers: asUser(token) });
    assert.equal(r.status, 422, `${q}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, 'VALIDATION_FAILED');
    // The contract lists no 422 for GET /assets; the body is still its ErrorResponse.
    assert.deepEqual(Object.keys(r.body).sort(), [
      'code',
      'correlation_id',
      'details',
      'message',
      'retryable',
    ]);
  }
  const ops = await http(`${core.server.apiUrl}/ops/agents?limit=1&limit=2`, {
    headers: asUser(token),
  });
  assert.equal(ops.status, 422);
  // The contract's own list form still works.
  const ok = await http(`${core.server.apiUrl}/assets?state=DECISION_PENDING,READY&limit=5`, {
    headers: asUser(token),
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});

test('answers never carry the storage root or data dir; every response says nosniff', async () => {
  // The 404 message echoes the requested path: here it holds the server's storage root.
  const probe = await http(`${core.server.apiUrl}${core.root}/x`, { headers: asUser(token) });
  assert.equal(probe.status, 404);
  assert.ok(!JSON.stringify(probe.body).includes(core.root), JSON.stringify(probe.body));
  assert.match(probe.body.message, /<storage root>/);
  assert.equal(probe.headers.get('x-content-type-options'), 'nosniff');
  const scrub = pathScrubber({ '<storage root>': '/volume1/rushes', '<data dir>': '/var/lib/c' });
  assert.equal(
    scrub('EACCES: rename "/volume1/rushes/INBOX/a.mov" (db /var/lib/c/core.sqlite)'),
    'EACCES: rename "<storage root>/INBOX/a.mov" (db <data dir>/core.sqlite)',
  );
  for (const p of ['/assets', '/app/policy']) {
    const r = await http(`${core.server.apiUrl}${p}`, { headers: asUser(token) });
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
  }
});

test('users add never takes the password from argv; stdin and the rules still work', async () => {
  const cli = path.resolve(import.meta.dirname, '../bin/core-server.js');
  const base = await mkdtemp(path.join(os.tmpdir(), 'core-cli-'));
  try {
    await new SqliteCoreStore(base).close(); // operator commands work on an existing database
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, [cli, 'users', 'add', '--data-dir', base, ...args], {
        input,
        encoding: 'utf8',
      });
    const argv = run(['--email', 'a@example.com', '--password', 'hunter2hunter2']);
    assert.notEqual(argv.status, 0);
    assert.match(argv.stderr, /not taken on the command line/);
    const noTty = run(['--email', 'a@example.com'], '');
    assert.notEqual(noTty.status, 0);
    assert.match(noTty.stderr, /--password-stdin/);
    const short = run(['--email', 'a@example.com', '--password-stdin'], 'short\n');
    assert.match(short.stderr, /at least 8/);
    const ok = run(['--email', 'a@example.com', '--password-stdin'], 'long enough secret\n');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).email, 'a@example.com');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
