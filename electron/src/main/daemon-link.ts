// Keeps the shell's view of the daemon current: reads a status snapshot, follows the event
// stream, and on any drop reports "disconnected" and retries with a short fixed delay.
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  DaemonControl,
  DaemonEvent,
  StatusSnapshot,
} from '@retaia/agent-core/runtime/control-protocol.js';

export interface DaemonLinkListener {
  onStatus(status: StatusSnapshot | undefined): void;
  onEvent(event: DaemonEvent): void;
  onLink(state: 'connected' | 'disconnected', message?: string): void;
}

export interface DaemonLinkOptions {
  retryMs?: number;
}

export class DaemonLink {
  private readonly abort = new AbortController();
  private connected: boolean | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly control: DaemonControl,
    private readonly listener: DaemonLinkListener,
    private readonly opts: DaemonLinkOptions = {},
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const status = await this.control.status();
        this.setLink(true);
        this.listener.onStatus(status);
        for await (const event of this.control.events(signal)) {
          if (event.type === 'status') this.listener.onStatus(event.status);
          this.listener.onEvent(event);
        }
        if (!signal.aborted) this.setLink(false, 'the daemon closed its event stream');
      } catch (err) {
        if (signal.aborted) break;
        this.setLink(false, err instanceof Error ? err.message : String(err));
      }
      // An abort (stop) ends the wait early; the loop condition then ends the link.
      if (!signal.aborted)
        await sleep(this.opts.retryMs ?? 2_000, undefined, { signal }).catch(() => undefined);
    }
  }

  private setLink(up: boolean, message?: string): void {
    if (this.connected === up) return;
    this.connected = up;
    if (!up) this.listener.onStatus(undefined);
    this.listener.onLink(up ? 'connected' : 'disconnected', message);
  }
}
