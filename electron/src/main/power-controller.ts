// Applies the power policy: watches battery/AC and user idleness, asks `decidePowerPause`, and
// pauses/resumes the daemon with the matching reason. Holds a sleep blocker only on AC while
// jobs run.
import type { StatusSnapshot } from '@retaia/agent-core/runtime/control-protocol.js';
import type { PowerPauseReason } from '../shared/bridge-api.js';
import type { DaemonControl } from '@retaia/agent-core/runtime/control-protocol.js';
import type { ElectronApi } from './electron-api.js';
import { type PowerPrefs, decidePowerPause, shouldBlockSleep } from './power-policy.js';

export interface PowerControllerOptions {
  /** How often idleness and quiet hours are re-evaluated. */
  pollMs?: number;
  onChange?: (pausedBy: PowerPauseReason | undefined) => void;
  onError?: (err: unknown) => void;
}

export class PowerController {
  private applied: PowerPauseReason | undefined;
  private quietHoursActive = false;
  private working = false;
  private blockerId: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: ElectronApi,
    private readonly daemon: () => DaemonControl | undefined,
    private readonly prefs: () => PowerPrefs,
    private readonly opts: PowerControllerOptions = {},
  ) {}

  get pausedBy(): PowerPauseReason | undefined {
    return this.applied;
  }

  start(): void {
    const reevaluate = () => void this.evaluate();
    this.api.powerMonitor.on('on-battery', reevaluate);
    this.api.powerMonitor.on('on-ac', reevaluate);
    this.api.powerMonitor.on('resume', reevaluate);
    this.api.powerMonitor.on('unlock-screen', reevaluate);
    this.timer = setInterval(reevaluate, this.opts.pollMs ?? 30_000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.setBlocker(false);
  }

  /** Feed every status snapshot: quiet hours and "working" come from the daemon. */
  noteStatus(status: StatusSnapshot | undefined): void {
    this.quietHoursActive = status?.quietHoursActive === true;
    this.working = (status?.currentJobs.length ?? 0) > 0;
    this.setBlocker(
      shouldBlockSleep({
        onBattery: this.api.powerMonitor.isOnBatteryPower(),
        working: this.working,
      }),
    );
  }

  /** The daemon restarted: whatever we had applied there is gone. */
  forgetApplied(): void {
    this.applied = undefined;
  }

  /** Serialised so two quick power events cannot interleave pause/resume calls. */
  evaluate(): Promise<void> {
    this.chain = this.chain
      .then(() => this.apply())
      .catch((err: unknown) => this.opts.onError?.(err));
    return this.chain;
  }

  private async apply(): Promise<void> {
    const onBattery = this.api.powerMonitor.isOnBatteryPower();
    this.setBlocker(shouldBlockSleep({ onBattery, working: this.working }));
    const decision = decidePowerPause({
      prefs: this.prefs(),
      onBattery,
      systemIdleSeconds: this.api.powerMonitor.getSystemIdleTime(),
      quietHoursActive: this.quietHoursActive,
    });
    const wanted = decision.pause ? decision.reason : undefined;
    if (wanted === this.applied) return;
    const daemon = this.daemon();
    if (!daemon) return;
    if (wanted) await daemon.pause(wanted);
    if (this.applied) await daemon.resume(this.applied);
    this.applied = wanted;
    this.opts.onChange?.(wanted);
  }

  private setBlocker(on: boolean): void {
    if (on && this.blockerId === undefined) {
      this.blockerId = this.api.powerSaveBlocker.start('prevent-app-suspension');
    } else if (!on && this.blockerId !== undefined) {
      this.api.powerSaveBlocker.stop(this.blockerId);
      this.blockerId = undefined;
    }
  }
}
