// Housekeeping of what strangers can make Core remember: security events, device flows and the
// attempt counters. Run by the sweeper; every bound is by age AND count, so a flood of
// unauthenticated requests costs a bounded amount of disk and memory.
import type { CoreContext } from './core-context.js';

export async function pruneSecurityRecords(ctx: CoreContext): Promise<void> {
  const now = ctx.clock();
  const o = ctx.options;
  const removed = await ctx.store.pruneSecurityRecords({
    eventsBefore: new Date(now - o.securityEventRetentionDays * 86_400_000).toISOString(),
    maxEvents: o.maxSecurityEvents,
    // An expired flow stays one more lifetime, so a late poll still reads EXPIRED, not "unknown".
    flowsExpiredBeforeMs: now - o.deviceFlowTtlSeconds * 1000,
    maxFlows: o.maxDeviceFlows,
  });
  if (removed.security_events > 0 || removed.device_flows > 0) {
    ctx.logger.debug(removed, 'security records pruned');
  }
  await ctx.limiter.prune(o.rateLimits.windowMs);
}
