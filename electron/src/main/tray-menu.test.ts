import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusSnapshot } from '@retaia/agent-core/runtime/control-protocol.js';
import { reviewPageUrl, trayMenuModel } from './tray-menu.js';
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

test('menu: open, status, job progress, review page, pause or resume, refresh, preferences, quit', () => {
  const labels = (s?: StatusSnapshot, lang?: 'en' | 'fr') =>
    trayMenuModel(s, lang).map((i) => (i.kind === 'separator' ? '---' : i.label));
  const working = status({
    coreUrl: 'https://nas.local:8443/api/v1',
    currentJobs: [
      { ...job, sourceName: 'INBOX/day1/interview.mov', stage: 'encoding', percent: 41.6 },
    ],
  });
  assert.deepEqual(labels(working), [
    'Open Retaia Agent',
    'Status: Working (1 job)',
    'interview.mov — encoding 42 %',
    '---',
    'Open review page',
    'Pause',
    'Refresh now',
    'Preferences…',
    '---',
    'Quit',
  ]);
  assert.deepEqual(labels(working, 'fr'), [
    'Ouvrir Retaia Agent',
    'État : Au travail (1 tâche)',
    'interview.mov — encoding 42 %',
    '---',
    'Ouvrir la page de revue',
    'Pause',
    'Actualiser maintenant',
    'Préférences…',
    '---',
    'Quitter',
  ]);
  assert.ok(labels(status({ state: 'paused' })).includes('Resume'));
  assert.ok(labels(status({ state: 'paused' }), 'fr').includes('Reprendre'));
  const review = trayMenuModel(status()).find((i) => i.kind === 'action' && i.id === 'review');
  assert.equal(review?.kind === 'action' && review.enabled, false, 'no Core URL, no review page');
  const down = trayMenuModel(undefined);
  assert.equal(down[1]?.kind === 'status' && down[1].label, 'Status: daemon unreachable');
  const pause = down.find((i) => i.kind === 'action' && i.id === 'pause');
  assert.equal(pause?.kind === 'action' && pause.enabled, false, 'no pause without a daemon');
  assert.ok(down.some((i) => i.kind === 'action' && i.id === 'restart' && i.enabled));
  assert.ok(labels(undefined, 'fr').includes('Redémarrer le démon'));
});

test('review page URL sits next to the API on the configured Core', () => {
  assert.equal(reviewPageUrl('https://nas.local:8443/api/v1'), 'https://nas.local:8443/review/');
  assert.equal(
    reviewPageUrl('http://127.0.0.1:8080/retaia/api/v1'),
    'http://127.0.0.1:8080/retaia/review/',
  );
  assert.equal(reviewPageUrl('file:///etc/passwd'), undefined);
  assert.equal(reviewPageUrl(undefined), undefined);
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
