import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotificationGate } from './notification-gate.js';

const n = (kind: Parameters<NotificationGate['admit']>[0]['kind'], body = 'x') => ({
  kind,
  title: 'Retaia Agent',
  body,
});

test('the same news inside the repeat window is shown once', () => {
  let now = 0;
  const gate = new NotificationGate({ repeatWindowMs: 1000, now: () => now });
  assert.equal(gate.admit(n('job_failed', 'clip.mov failed')), true);
  assert.equal(gate.admit(n('job_failed', 'clip.mov failed')), false);
  assert.equal(gate.admit(n('job_failed', 'other.mov failed')), true, 'different news passes');
  now = 1500;
  assert.equal(
    gate.admit(n('job_failed', 'clip.mov failed')),
    true,
    'after the window it is news again',
  );
});

test('disconnected/reconnected only on real transitions', () => {
  const gate = new NotificationGate({ repeatWindowMs: 0 });
  assert.equal(gate.admit(n('reconnected')), false, 'no reconnect without a disconnect');
  assert.equal(gate.admit(n('disconnected', 'a')), true);
  assert.equal(
    gate.admit(n('disconnected', 'b')),
    false,
    'still down: not news even with another message',
  );
  assert.equal(gate.admit(n('reconnected')), true);
  assert.equal(gate.admit(n('reconnected')), false);
  assert.equal(gate.admit(n('disconnected')), true);
});

test('all-jobs-done follows a started job, once', () => {
  const gate = new NotificationGate({ repeatWindowMs: 0 });
  assert.equal(gate.admit(n('all_jobs_done')), false, 'nothing was running');
  assert.equal(gate.admit(n('job_started', 'a.mov')), true);
  assert.equal(gate.admit(n('job_started', 'b.mov')), true, 'every new job is news');
  assert.equal(gate.admit(n('all_jobs_done')), true);
  assert.equal(gate.admit(n('all_jobs_done')), false);
});

test('re-auth is announced once until auth is healthy again', () => {
  const gate = new NotificationGate({ repeatWindowMs: 0 });
  assert.equal(gate.admit(n('reauth_needed')), true);
  assert.equal(gate.admit(n('reauth_needed')), false);
  gate.noteAuthHealthy();
  assert.equal(gate.admit(n('reauth_needed')), true);
});

test('settings saved and settings invalid pass, deduplicated by content', () => {
  const gate = new NotificationGate({ repeatWindowMs: 60_000, now: () => 0 });
  assert.equal(gate.admit(n('settings_saved', 'ok')), true);
  assert.equal(gate.admit(n('settings_invalid', 'core_url: bad')), true);
  assert.equal(gate.admit(n('settings_invalid', 'core_url: bad')), false);
});
