import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decidePowerPause,
  powerPrefsFromConfig,
  shouldBlockSleep,
  type PowerInputs,
} from './power-policy.js';

const base: PowerInputs = {
  prefs: { pauseOnBattery: true, onlyWhenIdle: false, idleMinutes: 5, honourQuietHours: true },
  onBattery: false,
  systemIdleSeconds: 0,
  quietHoursActive: false,
};
const withPrefs = (
  p: Partial<PowerInputs['prefs']>,
  rest: Partial<PowerInputs> = {},
): PowerInputs => ({
  ...base,
  ...rest,
  prefs: { ...base.prefs, ...p },
});

test('works on AC with default preferences', () => {
  assert.deepEqual(decidePowerPause(base), { pause: false });
});

test('pauses on battery only when the preference is on', () => {
  assert.deepEqual(decidePowerPause({ ...base, onBattery: true }), {
    pause: true,
    reason: 'battery',
  });
  assert.deepEqual(decidePowerPause(withPrefs({ pauseOnBattery: false }, { onBattery: true })), {
    pause: false,
  });
});

test('honours quiet hours only when asked to', () => {
  assert.deepEqual(decidePowerPause({ ...base, quietHoursActive: true }), {
    pause: true,
    reason: 'quiet_hours',
  });
  assert.deepEqual(
    decidePowerPause(withPrefs({ honourQuietHours: false }, { quietHoursActive: true })),
    { pause: false },
  );
});

test('"only when idle" pauses while the user is active and resumes after the idle delay', () => {
  const idle = (s: number) =>
    decidePowerPause(withPrefs({ onlyWhenIdle: true, idleMinutes: 5 }, { systemIdleSeconds: s }));
  assert.deepEqual(idle(10), { pause: true, reason: 'not_idle' });
  assert.deepEqual(idle(299), { pause: true, reason: 'not_idle' });
  assert.deepEqual(idle(300), { pause: false });
  assert.deepEqual(
    decidePowerPause({ ...base, systemIdleSeconds: 1 }),
    { pause: false },
    'off by default',
  );
});

test('battery wins over quiet hours, which win over idleness', () => {
  const all = withPrefs(
    { onlyWhenIdle: true },
    { onBattery: true, quietHoursActive: true, systemIdleSeconds: 0 },
  );
  assert.equal(decidePowerPause(all).reason, 'battery');
  assert.equal(decidePowerPause({ ...all, onBattery: false }).reason, 'quiet_hours');
  assert.equal(
    decidePowerPause({ ...all, onBattery: false, quietHoursActive: false }).reason,
    'not_idle',
  );
});

test('never keeps the machine awake on battery', () => {
  assert.equal(shouldBlockSleep({ onBattery: true, working: true }), false);
  assert.equal(shouldBlockSleep({ onBattery: false, working: true }), true);
  assert.equal(shouldBlockSleep({ onBattery: false, working: false }), false);
});

test('reads the switches from the daemon config, with the schema defaults when absent', () => {
  assert.deepEqual(
    powerPrefsFromConfig(
      {
        power_policy: { pause_on_battery: true, only_when_idle: true, respect_quiet_hours: false },
      },
      7,
    ),
    {
      pauseOnBattery: true,
      onlyWhenIdle: true,
      honourQuietHours: false,
      idleMinutes: 7,
    },
  );
  assert.deepEqual(powerPrefsFromConfig(undefined, 5), {
    pauseOnBattery: false,
    onlyWhenIdle: false,
    honourQuietHours: true,
    idleMinutes: 5,
  });
});
