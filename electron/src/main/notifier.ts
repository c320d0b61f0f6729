// Shows native notifications that pass the de-duplication gate and the user's preference.
import type { ElectronApi } from './electron-api.js';
import { NotificationGate, type NotificationRequest } from './notification-gate.js';

export class Notifier {
  constructor(
    private readonly api: ElectronApi,
    private readonly enabled: () => boolean,
    private readonly onClick: () => void,
    readonly gate: NotificationGate = new NotificationGate(),
  ) {}

  /** Returns whether a notification was shown. */
  notify(req: NotificationRequest): boolean {
    // The gate sees every request, even muted ones, so un-muting does not replay old news.
    if (!this.gate.admit(req)) return false;
    if (!this.enabled() || !this.api.notificationsSupported()) return false;
    this.api.showNotification({ title: req.title, body: req.body }, this.onClick);
    return true;
  }
}
