// The daemon's status as the control API reports it: one pure function from the runtime's parts
// (config, connection, enrolment, scheduler, mounts) to a StatusSnapshot whose `state` and
// `reason` tell a human what is going on and what to do about it.
import type {
  AuthState,
  ConnectionState,
  CurrentJobView,
  MountProblem,
  PauseReason,
  StatusSnapshot,
} from './control-protocol.js';

export interface StatusInputs {
  stopping: boolean;
  stopped: boolean;
  configProblem?: string;
  coreUrl?: string;
  auth: { state: AuthState; clientId?: string };
  connection: { state: ConnectionState; since: string; lastError?: string };
  registered: boolean;
  registerProblem?: string;
  pauseReasons: PauseReason[];
  quietHoursActive: boolean;
  mountProblems: MountProblem[];
  identity: { agentId: string; agentName: string; agentVersion: string; startedAt: string };
  capabilities: string[];
  effectiveCapabilities: string[];
  featureFlags: Record<string, boolean>;
  maxParallelJobs: number;
  currentJobs: CurrentJobView[];
}

function stateAndReason(s: StatusInputs): Pick<StatusSnapshot, 'state' | 'reason'> {
  const pauseReasons = s.pauseReasons;
  if (s.stopped || s.stopping)
    return { state: 'stopped', reason: s.stopped ? 'stopped' : 'stopping: finishing running jobs' };
  if (s.configProblem) return { state: 'degraded', reason: s.configProblem };
  if (!s.coreUrl)
    return {
      state: 'degraded',
      reason: 'no Core URL configured: run "retaia-agent config set core_url https://…"',
    };
  if (s.auth.state !== 'enrolled')
    return {
      state: 'degraded',
      reason:
        s.auth.state === 'reauth_required'
          ? `Core refused the credentials: enrol again (${s.registerProblem ?? ''})`.trim()
          : s.auth.state === 'enrolling'
            ? 'enrolment in progress: approve the code in the browser'
            : 'not enrolled: run "retaia-agent enrol"',
    };
  if (s.connection.state === 'disconnected')
    return {
      state: 'degraded',
      reason: `cannot reach Core (${s.connection.lastError ?? 'network error'})`,
    };
  if (!s.registered)
    return {
      state: 'degraded',
      reason: s.registerProblem ? `not registered: ${s.registerProblem}` : 'registering with Core',
    };
  if (pauseReasons.length)
    return { state: 'paused', reason: `paused (${pauseReasons.join(', ')})` };
  if (s.mountProblems.length)
    return {
      state: 'running',
      reason: `jobs of ${s.mountProblems.map((m) => `"${m.storageId}"`).join(', ')} are skipped: ${s.mountProblems.map((m) => m.problem).join('; ')}`,
    };
  return { state: 'running' };
}

export function describeStatus(s: StatusInputs): StatusSnapshot {
  const pauseReasons = [...s.pauseReasons];
  if (s.quietHoursActive && !pauseReasons.includes('quiet_hours')) pauseReasons.push('quiet_hours');
  const { state, reason } = stateAndReason({ ...s, pauseReasons });
  return {
    state,
    ...(reason ? { reason } : {}),
    pauseReasons,
    agentId: s.identity.agentId,
    agentName: s.identity.agentName,
    agentVersion: s.identity.agentVersion,
    pid: process.pid,
    startedAt: s.identity.startedAt,
    ...(s.coreUrl ? { coreUrl: s.coreUrl } : {}),
    connection: { ...s.connection },
    auth: { ...s.auth },
    capabilities: [...s.capabilities],
    effectiveCapabilities: [...s.effectiveCapabilities],
    featureFlags: { ...s.featureFlags },
    maxParallelJobs: s.maxParallelJobs,
    currentJobs: s.currentJobs.map((j) => ({ ...j })),
    quietHoursActive: s.quietHoursActive,
    ...(s.mountProblems.length ? { mountProblems: s.mountProblems.map((m) => ({ ...m })) } : {}),
  };
}
