// What every route and service shares: the store, the validated options, the live feature flags,
// the logger and the clock (injectable so tests can move time instead of sleeping).
import type { FeatureFlags } from '@retaia/protocol';
import type pino from 'pino';
import type { AttemptBudgets } from '../auth/attempt-budgets.js';
import type { GuessGuard } from '../auth/guess-guard.js';
import type { CoreOptions } from '../config/core-options.js';
import type { MoveContext } from '../moves/index.js';
import type { CoreStore } from '../store/core-store.js';

export interface CoreContext {
  store: CoreStore;
  options: CoreOptions;
  flags: FeatureFlags;
  logger: pino.Logger;
  clock: () => number;
  limiter: AttemptBudgets;
  /** Password and client-secret guess budgets (per IP, per IP+account, account pacing). */
  guesses: GuessGuard;
  /** Demo only (loopback, set programmatically): approve device flows without a human. */
  demoAutoApproveDeviceFlow: boolean;
  /** Storage layout, journal and asset ports the mover and purger run with. */
  moves: MoveContext;
  /** Base URL of this server without /api/v1 (set once listening). */
  baseUrl: string;
}

/** Known flags with their defaults: absent means off (docs/protocol.md#the-agent-loop). */
export const DEFAULT_FEATURE_FLAGS: FeatureFlags = {
  'features.ai.transcribe_audio': false,
  'features.ai.suggest_tags': false,
};
