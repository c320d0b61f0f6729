// The daemon's event stream (control API `/v1/events`) and its notifications. Notifications are
// raised by the runtime on state transitions only; this hub also drops an identical
// notification repeated within `dedupeWindowMs`, so a flapping condition cannot spam the tray.
import { EventEmitter } from 'node:events';
import type { DaemonEvent, NotificationKind } from './control-protocol.js';

export class DaemonEvents {
  private readonly emitter = new EventEmitter();
  private readonly lastNotified = new Map<string, number>();

  constructor(private readonly dedupeWindowMs = 10_000) {
    this.emitter.setMaxListeners(0);
  }

  emit(event: DaemonEvent): void {
    this.emitter.emit('event', event);
  }

  notify(kind: NotificationKind, title: string, body: string): boolean {
    const key = `${kind}\u0000${title}\u0000${body}`;
    const now = Date.now();
    const last = this.lastNotified.get(key);
    if (last !== undefined && now - last < this.dedupeWindowMs) return false;
    this.lastNotified.set(key, now);
    this.emit({ type: 'notification', kind, title, body });
    return true;
  }

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
