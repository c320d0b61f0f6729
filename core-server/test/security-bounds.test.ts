// What strangers can make Core remember is bounded: a flood of unauthenticated requests (device
// starts, bad client secrets) must not grow security_events, device_flows or the in-memory
// attempt counters without limit — they are pruned by age and capped by count.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { AttemptLimiter } from '../src/auth/attempt-limiter.js';
import { startTestCore } from './support/signed-test-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a flood of device starts and bad secrets leaves bounded tables and maps', async () => {
  const core = await startTestCore({
    sweepIntervalMs: 600_000, // swept by hand below
    maxSecurityEvents: 100,
    maxDeviceFlows: 50,
    deviceFlowTtlSeconds: 1,
    securityEventRetentionDays: 2 / 86_400, // two seconds
    rateLimits: {
      deviceStartsPerWindow: 100_000,
      tokenFailuresPerWindow: 100_000,
      guessesPerIpPerWindow: 100_000,
      accountFailuresBeforePacing: 100_000,
      windowMs: 1000,
    },
  });
  try {
    const post = (p: string, body: unknown) =>
      fetch(`${core.server.apiUrl}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      statuses.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            i % 2
              ? post('/auth/clients/device/start', { client_kind: 'AGENT', client_label: 'x' })
              : post('/auth/clients/token', {
                  client_id: randomUUID(),
                  client_kind: 'AGENT',
                  secret_key: 'guess',
                }),
          ),
        )),
      );
    }
    assert.equal(statuses.filter((s) => s === 200).length, 250, '250 device flows started');
    assert.equal(statuses.filter((s) => s === 401).length, 250, '250 secrets refused');
    const limiter = core.server.context.limiter;
    const tracked = await limiter.trackedKeys();
    assert.ok(tracked >= 250, `the limiter tracked ${tracked} keys`);

    // Count caps: the sweeper keeps the newest rows only.
    await core.server.sweepNow();
    const capped = await core.server.context.store.countSecurityRecords();
    assert.ok(capped.security_events <= 100, `security_events: ${capped.security_events}`);
    assert.ok(capped.device_flows <= 50, `device_flows: ${capped.device_flows}`);

    // Age: once the retention, the flows' lifetime (+ one more) and the window have passed,
    // nothing of the flood is left.
    await sleep(2500);
    await core.server.sweepNow();
    assert.deepEqual(await core.server.context.store.countSecurityRecords(), {
      security_events: 0,
      device_flows: 0,
    });
    assert.equal(await limiter.trackedKeys(), 0);
  } finally {
    await core.dispose();
  }
});

test('the attempt counters hold at most maxKeys keys, evicting the oldest', async () => {
  let now = 0;
  const limiter = new AttemptLimiter(() => now, 100);
  const budget = { max: 5, windowMs: 60_000 };
  for (let i = 0; i < 1000; i++) {
    now++;
    await limiter.reserve([{ key: `ip:${i}`, budget }]);
  }
  assert.equal(await limiter.trackedKeys(), 100);
  assert.equal(await limiter.count('ip:999', budget.windowMs), 1, 'the newest keys are kept');
  assert.equal(await limiter.count('ip:0', budget.windowMs), 0, 'the oldest went first');
});
