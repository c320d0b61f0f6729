/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked, not typed */
// Enrolment abuse, performed for real: turning device auto-approval on through config or the
// environment, using it off loopback, flooding /device with lookalike requests, and claiming a
// healthy agent's identity to get it flagged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateAgentKey, RequestSigner } from '@retaia/protocol';
import { chromium, type Browser } from 'playwright-core';
import pino from 'pino';
import { startCoreServer } from '../src/index.js';
import { TestAgent, http, startTestCore, type TestCore } from './support/signed-test-client.js';
import { httpFrom } from './support/from-address.js';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';
let core: TestCore;

before(async () => {
  core = await startTestCore({ buildReviewUi: false });
  await core.server.operator.addUser('op@example.com', PASSWORD);
});
after(() => core.dispose());

const startFlow = (server: TestCore, from: string, label: string, headers = {}) =>
  httpFrom(from, `${server.server.apiUrl}/auth/clients/device/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ client_kind: 'AGENT', client_label: label }),
  });
const poll = (server: TestCore, deviceCode: string) =>
  http(`${server.server.apiUrl}/auth/clients/device/poll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ device_code: deviceCode }),
  });

test('auto-approval cannot be switched on by a config file or the environment', async () => {
  const cli = path.resolve(import.meta.dirname, '../bin/core-server.js');
  const base = await mkdtemp(path.join(os.tmpdir(), 'core-autoapprove-'));
  try {
    const config = path.join(base, 'core.json');
    const serve = (extra: Record<string, unknown>, env: Record<string, string> = {}) =>
      writeFile(
        config,
        JSON.stringify({
          storageRoot: path.join(base, 'storage'),
          storageId: 'x',
          dataDir: path.join(base, 'data'),
          host: '127.0.0.1',
          port: 0,
          buildReviewUi: false,
          ...extra,
        }),
      ).then(() =>
        // A Core that starts would serve until killed: the timeout makes that a failure.
        spawnSync(process.execPath, [cli, 'serve', '--config', config], {
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, ...env },
        }),
      );
    const viaFile = await serve({ autoApproveDeviceFlow: true });
    assert.equal(viaFile.status, 1, `core-server started: ${viaFile.stdout}`);
    assert.match(viaFile.stderr, /autoApproveDeviceFlow is not a configuration setting/);
    const viaEnv = await serve({}, { RETAIA_CORE_AUTO_APPROVE_DEVICE_FLOW: '1' });
    assert.equal(viaEnv.status, 1, `core-server started: ${viaEnv.stdout}`);
    assert.match(viaEnv.stderr, /RETAIA_CORE_AUTO_APPROVE_DEVICE_FLOW is no longer supported/);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('demo auto-approval: refused off loopback, approves local agents only', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'core-demo-'));
  try {
    await assert.rejects(
      startCoreServer({
        storageRoot: path.join(base, 'storage'),
        storageId: 'x',
        dataDir: path.join(base, 'data'),
        host: '192.0.2.1',
        port: 0,
        buildReviewUi: false,
        logger: pino({ level: 'silent' }),
        demoAutoApproveDeviceFlow: true,
      }),
      /needs a loopback host/,
    );
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  const demo = await startTestCore({
    demoAutoApproveDeviceFlow: true,
    trustedProxies: ['127.0.0.9'],
    buildReviewUi: false,
  });
  try {
    const local = await startFlow(demo, '127.0.0.1', 'demo agent');
    assert.equal((await poll(demo, local.body.device_code)).body.status, 'APPROVED');
    // Through a reverse proxy on the same machine, a remote requester is left for a human.
    const remote = await startFlow(demo, '127.0.0.9', 'remote', {
      'x-forwarded-for': '203.0.113.50',
    });
    assert.equal((await poll(demo, remote.body.device_code)).body.status, 'PENDING');
  } finally {
    await demo.dispose();
  }
  const normal = await startFlow(core, '127.0.0.1', 'not a demo');
  assert.equal((await poll(core, normal.body.device_code)).body.status, 'PENDING');
});

test('registering with another agent’s agent_id is refused and does not mark the healthy agent', async () => {
  const victim = await TestAgent.enrol(core.server);
  const intruder = await TestAgent.enrol(core.server, {
    key: await generateAgentKey('intruder'),
    register: false,
  });
  intruder.agentId = victim.agentId;
  intruder.signer = await RequestSigner.fromArmored(victim.agentId, intruder.key.privateKeyArmored);
  for (let i = 0; i < 3; i++) assert.equal((await intruder.register([])).status, 401);
  const ops = await http(`${core.server.apiUrl}/ops/agents`, {
    headers: { authorization: `Bearer ${await userToken()}` },
  });
  const seen = ops.body.items.find((a: any) => a.agent_id === victim.agentId);
  assert.equal(seen.identity_conflict, false, 'a stranger flagged a healthy agent');
  const events = await core.server.context.store.listSecurityEvents();
  assert.ok(
    events.some((e) => e.kind === 'agent_identity_conflict'),
    'the attempt is on record',
  );
  assert.equal((await victim.register()).status, 200, 'the real agent carries on');
});

async function userToken(): Promise<string> {
  const r = await http(`${core.server.apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'op@example.com', password: PASSWORD }),
  });
  return r.body.access_token;
}

test('the pending API answers one flow by its code, never the list', async () => {
  const t = await userToken();
  const list = await http(`${core.server.apiUrl}/auth/clients/device/pending`, {
    headers: { authorization: `Bearer ${t}` },
  });
  assert.equal(list.status, 422, JSON.stringify(list.body));
  const flow = await startFlow(core, '127.0.0.8', 'mine');
  const one = await http(
    `${core.server.apiUrl}/auth/clients/device/pending?user_code=${flow.body.user_code}`,
    { headers: { authorization: `Bearer ${t}` } },
  );
  assert.equal(one.status, 200);
  assert.equal(one.body.user_code, flow.body.user_code);
  assert.equal(one.body.requester_ip, '127.0.0.8');
  assert.ok(Date.parse(one.body.requested_at) <= Date.now());
});

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

test(
  '/device in Chromium shows only the flow being approved, with its address and time',
  { skip },
  async () => {
    // The attacker floods the page with requests whose labels imitate the real agent.
    const bait: any[] = [];
    for (let i = 0; i < 3; i++) {
      bait.push(
        (await startFlow(core, '127.0.0.66', `studio agent <img src=x onerror=alert(${i})>`)).body,
      );
    }
    const real = (await startFlow(core, '127.0.0.1', 'studio agent')).body;
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(real.verification_uri_complete);
      await page.fill('#email', 'op@example.com');
      await page.fill('#password', PASSWORD);
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#flow:not([hidden])');
      const text = await page.locator('main').innerText();
      assert.match(text, new RegExp(real.user_code));
      assert.match(text, /127\.0\.0\.1/);
      for (const b of bait) assert.ok(!text.includes(b.user_code), `bait ${b.user_code} is shown`);
      assert.equal(await page.locator('button', { hasText: 'Approve' }).count(), 1);
      await page.click('#approve');
      await page.waitForSelector('#lookup:not([hidden])');
      assert.equal((await poll(core, real.device_code)).body.status, 'APPROVED');
      for (const b of bait) assert.equal((await poll(core, b.device_code)).body.status, 'PENDING');

      // Without a code the page lists nothing; a typed code shows that request alone.
      await page.goto(real.verification_uri);
      await page.waitForSelector('#lookup:not([hidden])');
      assert.ok(!(await page.locator('main').innerText()).includes(bait[0].user_code));
      await page.fill('#code', bait[0].user_code.toLowerCase());
      await page.click('#lookup button[type=submit]');
      await page.waitForSelector('#flow:not([hidden])');
      assert.equal(await page.locator('#flow-ip').innerText(), '127.0.0.66');
      assert.match(await page.locator('#flow-label').innerText(), /onerror/, 'shown as text');
      assert.deepEqual(dialogs, [], 'a label ran script');
    } finally {
      await browser?.close();
    }
  },
);
