// Budgets for the two secrets a stranger can try to guess: operator passwords (POST /auth/login)
// and agent client secrets (POST /auth/clients/token). See docs/core-security.md.
//
// * Per source IP + account: a few failures, then 429 — for THAT address only, so an attacker
//   failing on purpose cannot lock the real operator or agent out (they come from elsewhere).
// * Per source IP, all accounts: a larger budget, so one address cannot sweep many accounts.
// * Per account, all addresses: no lockout, but past a number of failures each further attempt
//   waits its turn, spaced by a delay that doubles up to a cap — a botnet gets a few guesses a
//   second at most, the real operator waits a few seconds at worst.
// The attempt is reserved before the secret is checked (concurrent guesses cannot overtake the
// count) and refunded on success.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreOptions } from '../config/core-options.js';
import type { AttemptBudgets } from './attempt-budgets.js';

export type GuessKind = 'login' | 'token';

export interface GuessTicket {
  /** Waits for the account's pacing slot (0 ms until the account has many failures). */
  paced(): Promise<void>;
  succeeded(): Promise<void>;
}

export class GuessGuard {
  constructor(
    private readonly limiter: AttemptBudgets,
    private readonly limits: CoreOptions['rateLimits'],
    private readonly clock: () => number,
  ) {}

  /** Throws 429 TOO_MANY_ATTEMPTS when this IP (alone or for this account) spent its budget. */
  async reserve(kind: GuessKind, ip: string, account: string): Promise<GuessTicket> {
    const windowMs = this.limits.windowMs;
    const perAccount =
      kind === 'login' ? this.limits.loginFailuresPerWindow : this.limits.tokenFailuresPerWindow;
    const ipKey = `${kind}:ip:${ip}`;
    const pairKey = `${kind}:pair:${ip}|${account}`;
    const accountKey = `${kind}:account:${account}`;
    await this.limiter.reserve([
      { key: ipKey, budget: { max: this.limits.guessesPerIpPerWindow, windowMs } },
      { key: pairKey, budget: { max: perAccount, windowMs } },
      { key: accountKey, budget: { max: Number.MAX_SAFE_INTEGER, windowMs } },
    ]);
    const delay = this.paceDelay((await this.limiter.count(accountKey, windowMs)) - 1);
    const start = delay > 0 ? await this.limiter.bookPacedSlot(accountKey, delay) : this.clock();
    const waitMs = start - this.clock();
    return {
      // Unref'd: a paced attempt never keeps a stopping server alive.
      paced: async () => {
        if (waitMs > 0) await sleep(waitMs, undefined, { ref: false });
      },
      succeeded: async () => {
        await this.limiter.reset(pairKey);
        await this.limiter.refund(ipKey);
        await this.limiter.refund(accountKey);
      },
    };
  }

  private paceDelay(previousAttempts: number): number {
    const over = previousAttempts - this.limits.accountFailuresBeforePacing;
    if (over < 0) return 0;
    return Math.min(
      this.limits.accountPaceBaseMs * 2 ** Math.min(over, 20),
      this.limits.accountPaceMaxMs,
    );
  }
}
