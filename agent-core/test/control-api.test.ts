// The control API's two ends are built from one route table: every DaemonControl operation sent
// by the real ControlClient reaches the daemon's handler with the same arguments, over a real
// Unix socket, and its answer comes back unchanged.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ControlApiError, ControlClient } from '../src/runtime/control-client.js';
import {
  CONTROL_METHODS,
  type ControlMethod,
  type DaemonControl,
} from '../src/runtime/control-protocol.js';
import { startControlServer, type ControlRuntime } from '../src/runtime/control-server.js';
import { DaemonEvents } from '../src/runtime/daemon-events.js';

/** Arguments each operation is called with here (each differs, so a mix-up shows). */
const CALLS: { [K in ControlMethod]: Parameters<DaemonControl[K]> } = {
  status: [],
  jobs: [],
  pause: ['battery'],
  resume: ['quiet_hours'],
  refresh: [],
  refreshCapabilities: [],
  models: [],
  getConfig: [],
  validateConfig: [{ core_url: 'https://core.example/api/v1' }],
  saveConfig: [{ max_parallel_jobs: 3 }],
  validateMount: ['nas-main', '/mnt/nas'],
  startEnrolment: ['studio laptop'],
  enrolment: [],
  cancelEnrolment: [],
  diagnostics: [],
  shutdown: [],
};

test('every control operation travels from ControlClient to the daemon and back unchanged', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'retaia-control-'));
  const received: [string, unknown[]][] = [];
  // A runtime that records its calls and answers with a value naming the operation.
  const runtime = Object.fromEntries(
    CONTROL_METHODS.filter((name) => name !== 'shutdown').map((name) => [
      name,
      async (...args: unknown[]) => {
        received.push([name, args]);
        return name === 'diagnostics' ? `text of ${name}` : { answeredBy: name, args };
      },
    ]),
  ) as unknown as ControlRuntime;
  let shutdowns = 0;
  const server = await startControlServer(
    join(dir, 'control.sock'),
    runtime,
    new DaemonEvents(),
    () => (shutdowns += 1),
  );
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const client = new ControlClient(server.endpoint, 5_000);

  for (const name of CONTROL_METHODS) {
    const args = CALLS[name] as unknown[];
    const result = await (client[name] as (...a: unknown[]) => Promise<unknown>)(...args);
    if (name === 'shutdown') {
      assert.equal(result, undefined);
      continue;
    }
    assert.deepEqual(received.at(-1), [name, args], `${name} reached the daemon as sent`);
    assert.deepEqual(
      result,
      name === 'diagnostics' ? `text of ${name}` : { answeredBy: name, args },
      `${name} answered unchanged`,
    );
  }
  await new Promise((r) => setImmediate(r));
  assert.equal(shutdowns, 1, 'shutdown reached the daemon once, after its answer');

  // Defaults and refusals are the route table's too.
  await client.pause();
  assert.deepEqual(received.at(-1), ['pause', ['user']], 'no reason means the user');
  await assert.rejects(
    client.pause('lunch' as never),
    (err: unknown) => err instanceof ControlApiError && err.status === 400,
  );
  await assert.rejects(
    client.validateMount(42 as never, '/mnt'),
    (err: unknown) => err instanceof ControlApiError && /storage_id/.test(err.message),
  );
});
