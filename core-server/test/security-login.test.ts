// Guessing operator passwords and agent secrets, for real over loopback: concurrency must not
// overtake the budget, budgets are per source address (an attacker cannot lock the real operator
// or agent out), X-Forwarded-For counts only from a configured proxy, an account attacked from
// many addresses is paced rather than locked, and unknown e-mails cost as much as known ones.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestAgent, startTestCore, type TestCore } from './support/signed-test-client.js';
import { httpFrom } from './support/from-address.js';

const PASSWORD = 'correct horse battery';
let core: TestCore;

before(async () => {
  core = await startTestCore();
});
after(() => core.dispose());

const login = (core: TestCore, from: string, email: string, password: string, headers = {}) =>
  httpFrom(from, `${core.server.apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password }),
  });

const tally = (results: { status: number }[]) => {
  const out: Record<number, number> = {};
  for (const r of results) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
};

test('60 concurrent wrong logins: only the budget (5) reaches the password check; the operator, from elsewhere, still logs in', async () => {
  await core.server.operator.addUser('victim@example.com', PASSWORD);
  const results = await Promise.all(
    Array.from({ length: 60 }, () => login(core, '127.0.0.1', 'victim@example.com', 'guess')),
  );
  assert.deepEqual(tally(results), { 401: 5, 429: 55 });
  const limited = results.find((r) => r.status === 429)!;
  assert.equal(limited.body.code, 'TOO_MANY_ATTEMPTS');
  assert.ok(Number(limited.headers['retry-after']) >= 1);

  const operator = await login(core, '127.0.0.2', 'victim@example.com', PASSWORD);
  assert.equal(operator.status, 200, JSON.stringify(operator.body));
  // Still limited for the attacking address.
  assert.equal((await login(core, '127.0.0.1', 'victim@example.com', PASSWORD)).status, 429);
});

test('one address cannot sweep many accounts: 30 guesses per address over all e-mails', async () => {
  const results = await Promise.all(
    Array.from({ length: 34 }, (_, i) =>
      login(core, '127.0.0.3', `nobody${i}@example.com`, 'guess'),
    ),
  );
  assert.deepEqual(tally(results), { 401: 30, 429: 4 });
});

test('X-Forwarded-For is ignored unless it comes from the configured proxy', async () => {
  await core.server.operator.addUser('xff@example.com', PASSWORD);
  // Spoofing a new client address on every request does not reset the budget.
  const spoofed = [];
  for (let i = 0; i < 6; i++) {
    spoofed.push(
      await login(core, '127.0.0.4', 'xff@example.com', 'guess', {
        'x-forwarded-for': `198.51.100.${i}`,
      }),
    );
  }
  assert.deepEqual(tally(spoofed), { 401: 5, 429: 1 });

  const proxied = await startTestCore({ trustedProxies: ['127.0.0.5'] });
  try {
    await proxied.server.operator.addUser('xff@example.com', PASSWORD);
    const via = (client: string, password: string, from = '127.0.0.5') =>
      login(proxied, from, 'xff@example.com', password, { 'x-forwarded-for': client });
    for (let i = 0; i < 5; i++) assert.equal((await via('203.0.113.1', 'guess')).status, 401);
    assert.equal((await via('203.0.113.1', 'guess')).status, 429, 'the attacker behind the proxy');
    assert.equal((await via('203.0.113.2', PASSWORD)).status, 200, 'the operator behind it');
    // Another address claiming to be a proxy is not believed: it is limited as itself.
    for (let i = 0; i < 5; i++) {
      assert.equal((await via(`192.0.2.${i}`, 'guess', '127.0.0.6')).status, 401);
    }
    assert.equal((await via('192.0.2.99', 'guess', '127.0.0.6')).status, 429);
  } finally {
    await proxied.dispose();
  }
});

test('an account attacked from many addresses is paced, never locked: the operator gets in', async () => {
  const paced = await startTestCore({
    rateLimits: { accountFailuresBeforePacing: 2, accountPaceBaseMs: 300, accountPaceMaxMs: 5000 },
  });
  try {
    await paced.server.operator.addUser('paced@example.com', PASSWORD);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        login(paced, `127.0.1.${i + 1}`, 'paced@example.com', 'guess'),
      ),
    );
    const elapsed = Date.now() - started;
    assert.deepEqual(tally(results), { 401: 6 }, 'no address is locked out');
    // Guesses 3..6 wait 300, 600, 1200 ms after one another: the last cannot start before 2.1 s.
    assert.ok(elapsed >= 2000, `six guesses took only ${elapsed} ms`);
    const operator = await login(paced, '127.0.1.100', 'paced@example.com', PASSWORD);
    assert.equal(operator.status, 200, JSON.stringify(operator.body));
  } finally {
    await paced.dispose();
  }
});

test('an unknown e-mail takes as long to refuse as a wrong password', async () => {
  await core.server.operator.addUser('timing@example.com', PASSWORD);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const time = async (from: string, email: string) => {
    const t = process.hrtime.bigint();
    const r = await login(core, from, email, 'guess');
    assert.equal(r.status, 401);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 5; i++) {
    known.push(await time(`127.0.2.${i + 1}`, 'timing@example.com'));
    unknown.push(await time(`127.0.3.${i + 1}`, `ghost${i}@example.com`));
  }
  // A password hash costs tens of ms; a bare lookup well under one. Half is a generous bound.
  assert.ok(
    median(unknown) > median(known) / 2,
    `unknown ${median(unknown).toFixed(1)} ms vs known ${median(known).toFixed(1)} ms`,
  );
});

test('failing on purpose with an agent client_id does not lock the real agent out', async () => {
  const agent = await TestAgent.enrol(core.server);
  const guess = () =>
    httpFrom('127.0.4.1', `${core.server.apiUrl}/auth/clients/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: agent.clientId, client_kind: 'AGENT', secret_key: 'x' }),
    });
  const results = await Promise.all(Array.from({ length: 20 }, guess));
  assert.deepEqual(tally(results), { 401: 5, 429: 15 });
  const real = await agent.mintToken(); // from 127.0.0.1
  assert.equal(real.status, 200, JSON.stringify(real.body));
});
