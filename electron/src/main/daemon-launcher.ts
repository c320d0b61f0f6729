// Attach to the user's daemon, or start one when none answers. The daemon holds its own
// single-instance lock, so even a race between two launchers ends with one runtime; the app
// never runs jobs itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient } from '@retaia/agent-core/runtime/control-client.js';
import type { DaemonControl } from '@retaia/agent-core/runtime/control-protocol.js';

export interface DaemonLauncherDeps {
  /** A control client if a daemon answers on the control endpoint, else undefined. */
  connect(): Promise<DaemonControl | undefined>;
  /** Starts a daemon process in the background. */
  spawn(): Promise<unknown>;
  /** How long to wait for a spawned daemon to answer. */
  startTimeoutMs?: number;
  pollMs?: number;
}

export interface AttachedDaemon {
  control: DaemonControl;
  /** True when this app started the daemon (it then stops it on quit). */
  startedByApp: boolean;
}

export class DaemonUnavailableError extends Error {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DaemonUnavailableError';
  }
}

export async function attachOrStartDaemon(deps: DaemonLauncherDeps): Promise<AttachedDaemon> {
  const existing = await deps.connect();
  if (existing) return { control: existing, startedByApp: false };
  try {
    await deps.spawn();
  } catch (err) {
    throw new DaemonUnavailableError(
      `Could not start the Retaia agent daemon: ${err instanceof Error ? err.message : String(err)}. ` +
        'Start it with `retaia-agent daemon start` and reopen the app.',
      { cause: err },
    );
  }
  const deadline = Date.now() + (deps.startTimeoutMs ?? 15_000);
  for (;;) {
    const control = await deps.connect();
    if (control) return { control, startedByApp: true };
    if (Date.now() >= deadline) {
      throw new DaemonUnavailableError(
        'The Retaia agent daemon did not answer after being started. Check its log ' +
          '(`retaia-agent diagnostics`) and reopen the app.',
      );
    }
    await sleep(deps.pollMs ?? 250);
  }
}

/** The daemon at `endpoint` if one answers there within `timeoutMs`. */
export async function connectControl(
  endpoint: string,
  timeoutMs = 2_000,
): Promise<DaemonControl | undefined> {
  if (!(await new ControlClient(endpoint, timeoutMs).isRunning())) return undefined;
  // Long calls (config save, enrolment start) get the client's normal timeout.
  return new ControlClient(endpoint);
}
