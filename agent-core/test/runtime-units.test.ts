import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobHistory } from '../src/runtime/job-history.js';
import { DaemonEvents } from '../src/runtime/daemon-events.js';
import { isWithinQuietHours } from '../src/runtime/quiet-hours.js';
import { createAgentLogger } from '../src/runtime/agent-logger.js';
import { redactSecrets } from '../src/runtime/diagnostics.js';
import type { DaemonEvent, JobHistoryEntry } from '../src/runtime/control-protocol.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const entry = (i: number): JobHistoryEntry => ({
  jobId: `j${i}`,
  jobType: 'extract_facts',
  assetUuid: 'a',
  sourceName: 's',
  outcome: 'completed',
  startedAt: 't',
  finishedAt: 't',
  durationMs: i,
});

test('job history is persisted as JSON lines, bounded, most recent first, survives a torn line', async () => {
  const dir = makeTempDir('hist-');
  const file = join(dir, 'h.jsonl');
  const h = new JobHistory(file, 5);
  for (let i = 0; i < 23; i++) await h.add(entry(i));
  assert.deepEqual(
    h.list().map((e) => e.jobId),
    ['j22', 'j21', 'j20', 'j19', 'j18'],
  );
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  assert.ok(lines.length < 10, `file compacted (${lines.length} lines)`);
  const { appendFile } = await import('node:fs/promises');
  await appendFile(file, '{"jobId":"torn');
  const reloaded = new JobHistory(file, 5);
  await reloaded.load();
  assert.equal(reloaded.list()[0]?.jobId, 'j22');
});

test('notifications: identical ones within the window are dropped, others pass', () => {
  const ev = new DaemonEvents(10_000);
  const seen: DaemonEvent[] = [];
  ev.subscribe((e) => seen.push(e));
  assert.equal(ev.notify('disconnected', 'Disconnected', 'x'), true);
  assert.equal(ev.notify('disconnected', 'Disconnected', 'x'), false);
  assert.equal(ev.notify('reconnected', 'Reconnected', 'x'), true);
  assert.equal(seen.length, 2);
});

test('quiet hours: HH:MM windows, wrapping midnight, ignored when malformed', () => {
  const at = (h: number, m = 0) => new Date(2026, 0, 1, h, m);
  assert.equal(isWithinQuietHours({ start: '22:00', end: '06:00' }, at(23)), true);
  assert.equal(isWithinQuietHours({ start: '22:00', end: '06:00' }, at(5, 59)), true);
  assert.equal(isWithinQuietHours({ start: '22:00', end: '06:00' }, at(6)), false);
  assert.equal(isWithinQuietHours({ start: '09:00', end: '17:00' }, at(12)), true);
  assert.equal(isWithinQuietHours({ start: '09:00', end: '17:00', enabled: false }, at(12)), false);
  assert.equal(isWithinQuietHours({ start: 'nine' }, at(12)), false);
  assert.equal(isWithinQuietHours(undefined, at(12)), false);
});

test('the logger redacts secret fields even if a caller passes them', () => {
  const lines: string[] = [];
  const log = createAgentLogger({
    destination: { write: (s: string) => (lines.push(s), true) } as never,
  });
  log.info(
    {
      secret_key: 'sk-live-1',
      nested: { access_token: 'tok-2', privateKeyArmored: 'PGP' },
      authorization: 'Bearer tok-3',
    },
    'oops',
  );
  log.flush();
  const out = lines.join('');
  for (const s of ['sk-live-1', 'tok-2', 'PGP', 'tok-3'])
    assert.ok(!out.includes(s), `leaked ${s}`);
  assert.match(out, /\[redacted\]/);
});

test('redactSecrets scrubs keys, tokens and credentials in free text', () => {
  const text = redactSecrets(
    'Authorization: Bearer abc.def\n{"secret_key":"sk-1","access_token":"t-2"}\nhttps://u:pw@host/x\n-----BEGIN PGP PRIVATE KEY BLOCK-----\nxyz\n-----END PGP PRIVATE KEY BLOCK-----',
  );
  for (const s of ['abc.def', 'sk-1', 't-2', 'pw@', 'xyz'])
    assert.ok(!text.includes(s), `kept ${s}`);
});
