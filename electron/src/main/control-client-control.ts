// Adapts agent-core's ControlClient (the same client the CLI uses) to the shell's DaemonControl.
import { ControlClient } from '@retaia/agent-core/runtime/control-client.js';
import type { DaemonControl } from './daemon-control.js';

export function controlFromClient(client: ControlClient): DaemonControl {
  return {
    status: () => client.status(),
    jobs: () => client.jobs(),
    pause: (reason) => client.pause(reason),
    resume: (reason) => client.resume(reason),
    refresh: () => client.refresh(),
    refreshCapabilities: () => client.refreshCapabilities(),
    models: () => client.models(),
    getConfig: () => client.getConfig(),
    validateConfig: (config) => client.validateConfig(config),
    saveConfig: (config) => client.putConfig(config),
    validateMount: (storageId, path) => client.validateMount(storageId, path),
    startEnrol: (label) => client.startEnrolment(label),
    getEnrol: () => client.enrolment(),
    cancelEnrol: () => client.cancelEnrolment(),
    diagnostics: async () => (await client.diagnostics()).text,
    shutdown: async () => void (await client.shutdown()),
    events: (signal) => client.events(signal),
  };
}

/** Connects to the daemon at `endpoint` if one answers there. */
export async function connectControl(
  endpoint: string,
  timeoutMs = 2_000,
): Promise<DaemonControl | undefined> {
  const probe = new ControlClient(endpoint, timeoutMs);
  if (!(await probe.isRunning())) return undefined;
  // Long calls (config save, enrol start) get the client's normal timeout.
  return controlFromClient(new ControlClient(endpoint));
}
