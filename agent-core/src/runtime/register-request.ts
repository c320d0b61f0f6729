// The one register request of this agent (daemon start-up, re-registration, `identity rotate-key`):
// who it is, its key, where it runs and what it can do.
import { arch as osArch, hostname, release } from 'node:os';
import type { AgentRegisterRequest, Arch, OsName } from '@retaia/protocol';
import type { AgentIdentity } from '../identity/agent-identity.js';
import { AGENT_VERSION } from '../agent-version.js';

export function osName(): OsName {
  return process.platform === 'darwin'
    ? 'macos'
    : process.platform === 'win32'
      ? 'windows'
      : 'linux';
}

export function archName(): Arch {
  const a = osArch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'arm64' : a === 'arm' ? 'armv7' : 'other';
}

export function buildRegisterRequest(
  identity: Pick<AgentIdentity, 'agentId' | 'publicKeyArmored' | 'fingerprint'>,
  o: { agentName?: string; capabilities: string[]; maxParallelJobs: number; agentVersion?: string },
): AgentRegisterRequest {
  return {
    agent_id: identity.agentId,
    agent_name: o.agentName ?? hostname(),
    agent_version: o.agentVersion ?? AGENT_VERSION,
    openpgp_public_key: identity.publicKeyArmored,
    openpgp_fingerprint: identity.fingerprint,
    os_name: osName(),
    os_version: release(),
    arch: archName(),
    capabilities: o.capabilities,
    max_parallel_jobs: o.maxParallelJobs,
  };
}
