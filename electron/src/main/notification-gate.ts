// Decides which notifications are worth showing: transitions only, never the same news twice.
// Inputs come from the daemon's `notification` events and from the shell's own link to the
// daemon (disconnected / reconnected); both go through this one gate.
import type { NotificationKind } from '@retaia/agent-core/runtime/control-protocol.js';

export interface NotificationRequest {
  kind: NotificationKind;
  title: string;
  body: string;
}

export interface NotificationGateOptions {
  /** Identical notifications inside this window are dropped. */
  repeatWindowMs?: number;
  now?: () => number;
}

type Paired = 'link' | 'auth' | 'activity';

// Kinds that describe a state: only a change of that state is news.
const PAIRED: Partial<Record<NotificationKind, { group: Paired; value: string }>> = {
  disconnected: { group: 'link', value: 'down' },
  reconnected: { group: 'link', value: 'up' },
  reauth_needed: { group: 'auth', value: 'reauth' },
  job_started: { group: 'activity', value: 'busy' },
  all_jobs_done: { group: 'activity', value: 'idle' },
};

// The state assumed before anything was said: a "reconnected" or "all done" with no earlier
// "disconnected" / "job started" is not a transition the user saw begin.
const INITIAL: Record<Paired, string> = { link: 'up', auth: 'ok', activity: 'idle' };

export class NotificationGate {
  private readonly repeatWindowMs: number;
  private readonly now: () => number;
  private readonly lastShown = new Map<string, number>();
  private readonly pairedState: Record<Paired, string> = { ...INITIAL };

  constructor(opts: NotificationGateOptions = {}) {
    this.repeatWindowMs = opts.repeatWindowMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Returns true when the notification should be shown (and records it). */
  admit(req: NotificationRequest): boolean {
    const paired = PAIRED[req.kind];
    if (paired) {
      // job_started is news for every new job, but only the first one flips "busy".
      if (req.kind !== 'job_started' && this.pairedState[paired.group] === paired.value)
        return false;
      this.pairedState[paired.group] = paired.value;
    }
    const key = `${req.kind}\u0000${req.title}\u0000${req.body}`;
    const at = this.now();
    const last = this.lastShown.get(key);
    if (last !== undefined && at - last < this.repeatWindowMs) return false;
    this.lastShown.set(key, at);
    return true;
  }

  /** Auth became healthy again (e.g. after re-enrolment): the next re-auth need is news. */
  noteAuthHealthy(): void {
    this.pairedState.auth = INITIAL.auth;
  }
}
