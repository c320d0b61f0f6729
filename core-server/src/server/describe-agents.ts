// Agents as the operator sees them (GET /ops/agents, `core-server agents list`): status from
// last contact and current lease.
import type { CoreContext } from './core-context.js';

/** An agent not heard from for this long is `stale` (policy polls every 30 s). */
export const AGENT_STALE_AFTER_MS = 2 * 60_000;

export async function describeAgents(ctx: CoreContext) {
  const now = ctx.clock();
  const out = [];
  for (const a of await ctx.store.listAgents()) {
    const digest = await ctx.store.agentJobDigest(a.agent_id);
    const stale = now - Date.parse(a.last_seen_at) > AGENT_STALE_AFTER_MS;
    const iso = (ms: number | null) => new Date(ms ?? 0).toISOString();
    out.push({
      agent_id: a.agent_id,
      client_id: a.client_id,
      agent_name: a.agent_name,
      agent_version: a.agent_version,
      os_name: a.os_name as 'linux' | 'macos' | 'windows' | null,
      os_version: a.os_version,
      arch: a.arch,
      status: stale ? 'stale' : digest.current ? 'online_busy' : 'online_idle',
      identity_conflict: a.identity_conflict,
      last_seen_at: a.last_seen_at,
      last_register_at: a.last_register_at,
      last_heartbeat_at: a.last_heartbeat_at,
      effective_capabilities: a.effective_capabilities,
      capability_warnings: a.capability_warnings,
      current_job: digest.current
        ? {
            job_id: digest.current.job_id,
            job_type: digest.current.job_type,
            asset_uuid: digest.current.asset_uuid,
            claimed_at: digest.current.claimed_at,
            locked_until: iso(digest.current.locked_until_ms),
          }
        : null,
      last_successful_job: digest.lastCompleted
        ? {
            job_id: digest.lastCompleted.job_id,
            job_type: digest.lastCompleted.job_type,
            asset_uuid: digest.lastCompleted.asset_uuid,
            completed_at: digest.lastCompleted.completed_at ?? a.last_seen_at,
          }
        : null,
      last_failed_job: digest.lastFailed
        ? {
            job_id: digest.lastFailed.job_id,
            job_type: digest.lastFailed.job_type,
            asset_uuid: digest.lastFailed.asset_uuid,
            failed_at: digest.lastFailed.failed_at ?? a.last_seen_at,
            error_code: digest.lastFailed.last_error_code ?? 'UNKNOWN',
          }
        : null,
      debug: {
        max_parallel_jobs: a.max_parallel_jobs,
        feature_flags_contract_version: a.feature_flags_contract_version,
        effective_feature_flags_contract_version: '1.0.0',
        server_time_skew_seconds: null,
      },
    });
  }
  return out;
}
