import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusSnapshot } from '@retaia/agent-core/runtime/control-protocol.js';
import { trayMenuModel } from './tray-menu.js';
import { trayStateOf, trayTooltip } from './tray-state.js';
import { trayIconPath } from './tray-controller.js';

const status = (over: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
  state: 'running',
  pauseReasons: [],
  agentId: 'a',
  agentName: 'laptop',
  agentVersion: '0.1.0',
  pid: 1,
  startedAt: '2025-01-01T00:00:00Z',
  connection: { state: 'connected', since: '2025-01-01T00:00:00Z' },
  auth: { state: 'enrolled' },
  capabilities: [],
  effectiveCapabilities: [],
  featureFlags: {},
  maxParallelJobs: 1,
  currentJobs: [],
  ...over,
});
const job = {
  jobId: 'j',
  jobType: 'extract_facts',
  assetUuid: 'u',
  sourceName: 'a.mov',
  stage: 'probe',
  startedAt: '',
};

test('tray state: idle, working, paused, error', () => {
  assert.equal(trayStateOf(status()), 'idle');
  assert.equal(trayStateOf(status({ currentJobs: [job] })), 'working');
  assert.equal(trayStateOf(status({ state: 'paused', pauseReasons: ['user'] })), 'paused');
  assert.equal(trayStateOf(status({ state: 'degraded' })), 'error');
  assert.equal(trayStateOf(status({ auth: { state: 'reauth_required' } })), 'error');
  assert.equal(trayStateOf(status({ connection: { state: 'disconnected', since: '' } })), 'error');
  assert.equal(trayStateOf(undefined), 'error');
});

test('menu: open, status, pause or resume, refresh, preferences, quit', () => {
  const labels = (s?: StatusSnapshot) =>
    trayMenuModel(s).map((i) => (i.kind === 'separator' ? '---' : i.label));
  assert.deepEqual(labels(status({ currentJobs: [job] })), [
    'Open Retaia Agent',
    'Status: Working (1 job)',
    '---',
    'Pause',
    'Refresh now',
    'Preferences…',
    '---',
    'Quit',
  ]);
  assert.ok(labels(status({ state: 'paused' })).includes('Resume'));
  const down = trayMenuModel(undefined);
  assert.equal(down[1]?.kind === 'status' && down[1].label, 'Status: daemon unreachable');
  const pause = down.find((i) => i.kind === 'action' && i.id === 'pause');
  assert.equal(pause?.kind === 'action' && pause.enabled, false, 'no pause without a daemon');
});

test('tooltip names the reason work is paused', () => {
  const paused = status({ state: 'paused', pauseReasons: ['battery'] });
  assert.equal(
    trayTooltip({ status: paused, pausedBy: 'battery' }),
    'Retaia Agent — paused while on battery',
  );
  assert.equal(
    trayTooltip({ status: paused, pausedBy: 'not_idle' }),
    'Retaia Agent — paused while you are using the computer',
  );
  assert.equal(
    trayTooltip({ status: status({ state: 'paused', pauseReasons: ['quiet_hours'] }) }),
    'Retaia Agent — paused during quiet hours',
  );
  assert.equal(
    trayTooltip({ status: status({ currentJobs: [job, job] }) }),
    'Retaia Agent — working on 2 jobs',
  );
  assert.match(
    trayTooltip({ status: undefined, linkError: 'ECONNREFUSED' }),
    /daemon unreachable: ECONNREFUSED/,
  );
  assert.match(trayTooltip({ status: status({ auth: { state: 'reauth_required' } }) }), /re-enrol/);
});

test('macOS gets template tray images, others coloured ones', () => {
  assert.equal(trayIconPath('/a', 'paused', 'darwin'), '/a/tray/tray-pausedTemplate.png');
  assert.equal(trayIconPath('/a', 'paused', 'linux'), '/a/tray/tray-paused.png');
});
