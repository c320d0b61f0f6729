/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RequestSigner, SIGNATURE_HEADERS, generateAgentKey } from '@retaia/protocol';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { TestAgent, http, startTestCore, type TestCore } from './support/signed-test-client.js';

const contract = loadContractValidator();
let core: TestCore;

before(async () => {
  core = await startTestCore({
    deviceFlowIntervalSeconds: 5,
    rateLimits: { deviceStartsPerWindow: 1000, tokenFailuresPerWindow: 3, slowDownsBeforeBlock: 2 },
  });
});
after(() => core.dispose());

const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
  http(`${core.server.apiUrl}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function userToken() {
  const email = `op${Math.random()}@example.com`;
  await core.server.operator.addUser(email, 'correct horse battery');
  const login = await post('/auth/login', { email, password: 'correct horse battery' });
  assert.equal(login.status, 200);
  assert.deepEqual(contract.responseErrors('POST', '/auth/login', 200, login.body), []);
  const bad = await post('/auth/login', { email, password: 'wrong' });
  assert.equal(bad.status, 401);
  return login.body.access_token as string;
}

test('device flow: start/poll/cancel shapes, SLOW_DOWN, TOO_MANY_ATTEMPTS with Retry-After, deny', async () => {
  const start = await post('/auth/clients/device/start', {
    client_kind: 'AGENT',
    client_label: 'x',
  });
  assert.equal(start.status, 200);
  assert.deepEqual(
    contract.responseErrors('POST', '/auth/clients/device/start', 200, start.body),
    [],
  );
  const poll = () => post('/auth/clients/device/poll', { device_code: start.body.device_code });
  const p1 = await poll();
  assert.deepEqual(p1.body, { status: 'PENDING', interval: 5 });
  assert.deepEqual(contract.responseErrors('POST', '/auth/clients/device/poll', 200, p1.body), []);
  const fast = await poll();
  assert.equal(fast.status, 429);
  assert.equal(fast.body.code, 'SLOW_DOWN');
  assert.deepEqual(
    contract.responseErrors('POST', '/auth/clients/device/poll', 429, fast.body),
    [],
  );
  await poll();
  const blocked = await poll();
  assert.equal(blocked.status, 429);
  assert.equal(blocked.body.code, 'TOO_MANY_ATTEMPTS');
  assert.ok(Number(blocked.headers.get('retry-after')) >= 1);

  const unknown = await post('/auth/clients/device/poll', { device_code: 'nope' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.code, 'INVALID_DEVICE_CODE');
  assert.deepEqual(
    contract.responseErrors('POST', '/auth/clients/device/poll', 400, unknown.body),
    [],
  );

  const s2 = await post('/auth/clients/device/start', { client_kind: 'AGENT' });
  const cancel = await post('/auth/clients/device/cancel', { device_code: s2.body.device_code });
  assert.deepEqual(cancel.body, { canceled: true });
  assert.deepEqual(
    contract.responseErrors('POST', '/auth/clients/device/cancel', 200, cancel.body),
    [],
  );
  const s3 = await post('/auth/clients/device/start', { client_kind: 'AGENT' });
  await core.server.operator.denyDevice(s3.body.user_code);
  assert.deepEqual(
    (await post('/auth/clients/device/poll', { device_code: s3.body.device_code })).body,
    { status: 'DENIED' },
  );
  const invalid = await post('/auth/clients/device/start', { client_kind: 'UI_WEB' });
  assert.equal(invalid.status, 422);
  assert.deepEqual(
    contract.responseErrors('POST', '/auth/clients/device/start', 422, invalid.body),
    [],
  );
});

test('device starts are rate limited per requester', async () => {
  const limited = await startTestCore({ rateLimits: { deviceStartsPerWindow: 2 } });
  try {
    const start = () =>
      http(`${limited.server.apiUrl}/auth/clients/device/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"client_kind":"AGENT"}',
      });
    assert.equal((await start()).status, 200);
    assert.equal((await start()).status, 200);
    const third = await start();
    assert.equal(third.status, 429);
    assert.equal(third.body.code, 'TOO_MANY_ATTEMPTS');
    assert.ok(third.headers.get('retry-after'));
    assert.deepEqual(
      contract.responseErrors('POST', '/auth/clients/device/start', 429, third.body),
      [],
    );
  } finally {
    await limited.dispose();
  }
});

test('one active token per client; failed mints are limited; rotate-secret and revoke-token invalidate at once; actors are enforced', async () => {
  const agent = await TestAgent.enrol(core.server);
  const first = agent.token;
  assert.equal((await agent.get('/app/policy')).status, 200);
  const mint = await agent.mintToken();
  assert.deepEqual(contract.responseErrors('POST', '/auth/clients/token', 200, mint.body), []);
  const old = await http(`${core.server.apiUrl}/app/policy`, {
    headers: { authorization: `Bearer ${first}` },
  });
  assert.equal(old.status, 401, 'minting revoked the previous token');
  assert.deepEqual(contract.responseErrors('GET', '/app/policy', 401, old.body), []);

  const admin = await userToken();
  const asUser = { authorization: `Bearer ${admin}` };
  // Technical bearer on a human endpoint, user bearer on agent endpoints → FORBIDDEN_ACTOR.
  const techOnHuman = await post(
    `/auth/clients/${agent.clientId}/revoke-token`,
    {},
    { authorization: `Bearer ${agent.token}` },
  );
  assert.equal(techOnHuman.status, 403);
  assert.equal(techOnHuman.body.code, 'FORBIDDEN_ACTOR');
  assert.deepEqual(
    contract.responseErrors(
      'POST',
      '/auth/clients/{client_id}/revoke-token',
      403,
      techOnHuman.body,
    ),
    [],
  );
  const userOnJobs = await http(`${core.server.apiUrl}/jobs`, { headers: asUser });
  assert.equal(userOnJobs.status, 403);
  assert.equal(userOnJobs.body.code, 'FORBIDDEN_ACTOR');
  const userOnRegister = await post('/agents/register', agent.registerBody([]), asUser);
  assert.equal(userOnRegister.status, 403);

  const ops = await http(`${core.server.apiUrl}/ops/agents`, { headers: asUser });
  assert.equal(ops.status, 200);
  assert.deepEqual(contract.responseErrors('GET', '/ops/agents', 200, ops.body), []);
  assert.ok(ops.body.items.some((a: any) => a.agent_id === agent.agentId));

  const revoke = await post(`/auth/clients/${agent.clientId}/revoke-token`, {}, asUser);
  assert.equal(revoke.status, 200);
  assert.deepEqual(
    contract.responseErrors('POST', '/auth/clients/{client_id}/revoke-token', 200, revoke.body),
    [],
  );
  assert.equal((await agent.get('/app/policy')).status, 401);
  assert.equal((await agent.mintToken()).status, 200);

  const rotate = await post(`/auth/clients/${agent.clientId}/rotate-secret`, {}, asUser);
  assert.equal(rotate.status, 200);
  assert.deepEqual(
    contract.responseErrors('POST', '/auth/clients/{client_id}/rotate-secret', 200, rotate.body),
    [],
  );
  assert.equal((await agent.get('/app/policy')).status, 401, 'rotation revoked the token');
  const oldSecret = await agent.mintToken();
  assert.equal(oldSecret.status, 401);
  assert.deepEqual(contract.responseErrors('POST', '/auth/clients/token', 401, oldSecret.body), []);
  agent.secretKey = rotate.body.secret_key;
  assert.equal((await agent.mintToken()).status, 200);

  // Wrong secrets: limited with Retry-After.
  const wrong = () =>
    post('/auth/clients/token', {
      client_id: agent.clientId,
      client_kind: 'AGENT',
      secret_key: 'bad',
    });
  for (let i = 0; i < 3; i++) assert.equal((await wrong()).status, 401);
  const limited = await wrong();
  assert.equal(limited.status, 429);
  assert.equal(limited.body.code, 'TOO_MANY_ATTEMPTS');
  assert.ok(limited.headers.get('retry-after'));

  // No secret, token, device code or password ever reaches the logs.
  const logs = core.logLines.join('\n');
  for (const secret of [
    agent.secretKey,
    rotate.body.secret_key,
    first,
    agent.token,
    admin,
    'correct horse battery',
  ]) {
    assert.ok(!logs.includes(secret), 'a secret leaked into the logs');
  }
});

test('signature: missing header, wrong key, tampered body, 61 s skew, replayed nonce → 401; identity conflict refused', async () => {
  const agent = await TestAgent.enrol(core.server);
  const p = '/agents/register';
  const body = agent.registerBody([]);
  const expect401 = async (r: Awaited<ReturnType<typeof http<any>>>, why: string) => {
    assert.equal(r.status, 401, why);
    assert.equal(r.body.code, 'UNAUTHORIZED', why);
    assert.deepEqual(contract.responseErrors('POST', '/agents/register', 401, r.body), [], why);
  };
  await expect401(
    await agent.signed('POST', p, body, { omitHeader: SIGNATURE_HEADERS.signature }),
    'missing signature',
  );
  await expect401(
    await agent.signed('POST', p, body, { omitHeader: SIGNATURE_HEADERS.nonce }),
    'missing nonce',
  );
  const otherKey = await generateAgentKey('intruder');
  const wrongSigner = await RequestSigner.fromArmored(agent.agentId, otherKey.privateKeyArmored);
  await expect401(
    await agent.signed('POST', p, body, { signerOverride: wrongSigner }),
    'wrong key',
  );
  await expect401(
    await agent.signed('POST', p, body, {
      mutateBody: (raw) => raw.replace('test agent', 'evil agent'),
    }),
    'tampered body',
  );
  await expect401(
    await agent.signed('POST', p, body, { now: new Date(Date.now() - 61_000) }),
    'timestamp 61 s off',
  );
  // Replay: the exact same signed request twice.
  const raw = JSON.stringify(body);
  const headers = {
    authorization: `Bearer ${agent.token}`,
    'content-type': 'application/json',
    ...(await agent.signer.headersFor('POST', `/api/v1${p}`, raw)),
  };
  assert.equal(
    (await http(`${core.server.apiUrl}${p}`, { method: 'POST', headers, body: raw })).status,
    200,
  );
  await expect401(
    await http(`${core.server.apiUrl}${p}`, { method: 'POST', headers, body: raw }),
    'replayed nonce',
  );
  // Claim signed with the wrong path is refused too (path is part of the signed text).
  const claimHeaders = {
    authorization: `Bearer ${agent.token}`,
    ...(await agent.signer.headersFor('POST', '/api/v1/jobs/other/claim', '')),
  };
  assert.equal(
    (await http(`${core.server.apiUrl}/jobs/x/claim`, { method: 'POST', headers: claimHeaders }))
      .status,
    401,
  );

  // Another client registering the same agent_id with another key: refused and logged, but the
  // healthy agent is not marked (security-agent-identity.test.ts performs that attack).
  const intruder = await TestAgent.enrol(core.server, { key: otherKey, register: false });
  intruder.agentId = agent.agentId;
  intruder.signer = wrongSigner;
  const conflict = await intruder.register([]);
  assert.equal(conflict.status, 401);
  assert.equal((await core.server.context.store.getAgent(agent.agentId))!.identity_conflict, false);
  const events = (await core.server.context.store.listSecurityEvents()).map((e) => e.kind);
  assert.ok(events.includes('signature_rejected') && events.includes('agent_identity_conflict'));

  const reg = await agent.register();
  assert.equal(reg.status, 200);
  assert.deepEqual(contract.responseErrors('POST', '/agents/register', 200, reg.body), []);
});
