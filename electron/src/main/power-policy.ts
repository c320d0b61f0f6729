// Laptop-friendly power decisions, kept pure so every rule is unit-tested. The controller feeds
// it what Electron's powerMonitor says and applies the answer through the daemon's pause/resume
// (with a reason, so a user pause and a power pause never undo each other).
import type { PowerPauseReason } from '../shared/bridge-api.js';

/** The config's `power_policy` switches plus the desktop's idle delay. */
export interface PowerPrefs {
  pauseOnBattery: boolean;
  onlyWhenIdle: boolean;
  idleMinutes: number;
  honourQuietHours: boolean;
}

export interface PowerInputs {
  prefs: PowerPrefs;
  onBattery: boolean;
  /** Seconds since the last keyboard/mouse input. */
  systemIdleSeconds: number;
  /** Whether the Core's `server_policy.quiet_hours` window is active (the daemon computes it). */
  quietHoursActive: boolean;
}

export interface PowerDecision {
  pause: boolean;
  /** The first rule that asks for a pause, in priority order battery > quiet hours > not idle. */
  reason?: PowerPauseReason;
}

export function decidePowerPause(inputs: PowerInputs): PowerDecision {
  const { prefs } = inputs;
  if (prefs.pauseOnBattery && inputs.onBattery) return { pause: true, reason: 'battery' };
  if (prefs.honourQuietHours && inputs.quietHoursActive)
    return { pause: true, reason: 'quiet_hours' };
  if (prefs.onlyWhenIdle && inputs.systemIdleSeconds < prefs.idleMinutes * 60) {
    return { pause: true, reason: 'not_idle' };
  }
  return { pause: false };
}

/**
 * Whether to hold a `prevent-app-suspension` blocker: only while jobs run and only on AC power,
 * so the app never keeps a laptop awake on battery.
 */
export function shouldBlockSleep(input: { onBattery: boolean; working: boolean }): boolean {
  return input.working && !input.onBattery;
}

/** Reads the `power_policy` block of a (possibly redacted or partial) daemon config. */
export function powerPrefsFromConfig(config: unknown, idleMinutes: number): PowerPrefs {
  const policy =
    config && typeof config === 'object' && 'power_policy' in config
      ? (config as { power_policy?: Record<string, unknown> }).power_policy
      : undefined;
  return {
    pauseOnBattery: policy?.pause_on_battery === true,
    onlyWhenIdle: policy?.only_when_idle === true,
    // Absent means the schema default, which is to respect quiet hours.
    honourQuietHours: policy?.respect_quiet_hours !== false,
    idleMinutes,
  };
}
