// Programmatic entry point of the agent daemon: one per user (lock file + control endpoint).
// The CLI's `daemon start --foreground`, the OS service units and the desktop app all end here.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setPriority } from 'node:os';
import type { DestinationStream } from 'pino';
import type { JobType } from '@retaia/protocol';
import { resolveAgentPaths, type AgentPaths } from '../config/agent-paths.js';
import type { BackoffOptions } from '../core-api/backoff.js';
import { IdentityStore } from '../identity/agent-identity.js';
import { openSecretStore, type SecretStorePreference } from '../identity/secret-store.js';
import type { Processor } from '../processing/processor.js';
import type { FfmpegPathOptions } from '../processing/tools/ffmpeg.js';
import type { WhisperAddonLoad } from '../processing/transcription/whisper-addon.js';
import { AGENT_VERSION } from '../agent-version.js';
import { createAgentLogger, type AgentLogger } from './agent-logger.js';
import { AgentRuntime, DEFAULT_INTERVALS, type RuntimeIntervals } from './agent-runtime.js';
import { createDefaultProcessing, type DefaultProcessing } from './default-processing.js';
import { ControlClient } from './control-client.js';
import { startControlServer } from './control-server.js';
import { prepareWorkRoot } from './work-root.js';
import { acquireDaemonLock, DaemonAlreadyRunningError } from './daemon-lock.js';
import { DaemonEvents } from './daemon-events.js';
import { JobHistory } from './job-history.js';

export interface StartDaemonOptions {
  /** Config file (default: RETAIA_AGENT_CONFIG or the OS location, see agent-paths.ts). */
  configPath?: string;
  /** Data dir: identity, secrets file, job history, lock, socket (default: OS location). */
  dataDir?: string;
  /** Control endpoint: Unix socket path or Windows named pipe. */
  controlSocketPath?: string;
  /** Processors by job type (default: the media registry + local transcription when available). */
  processors?: Map<JobType, Processor>;
  /** Capability detection (default: detectMediaCapabilities + transcription detection). */
  detectCapabilities?: () => Promise<{ capabilities: string[]; problems: string[] }>;
  /** Replaces the whisper.cpp addon loader of the default processing (tests without the engine). */
  loadWhisperAddon?: () => WhisperAddonLoad;
  intervals?: Partial<RuntimeIntervals>;
  /** Backoff for 429/network retries (docs/protocol.md#the-agent-loop defaults: base 2 s, cap 60 s). */
  backoff?: BackoffOptions;
  /** A ready logger, or a destination for the default pino JSON logger (stdout otherwise). */
  logger?: AgentLogger;
  logDestination?: DestinationStream;
  /** Apply config.cpu_priority as this process's nice level (inherited by ffmpeg). */
  applyCpuPriority?: boolean;
  /** Where per-job folders are created (default: `work/` in the data dir, see work-root.ts). */
  workRoot?: string;
  secretStore?: SecretStorePreference;
  historyLimit?: number;
}

export interface RunningDaemon {
  controlEndpoint: string;
  paths: AgentPaths;
  agentId: string;
  runtime: AgentRuntime;
  events: DaemonEvents;
  /** Graceful stop: stop claiming, grace period for running jobs, hand the rest back (bounded). */
  stop(): Promise<void>;
  /** Resolves once the daemon has stopped (by stop(), a signal or /v1/shutdown). */
  readonly stopped: Promise<void>;
}

export { DaemonAlreadyRunningError };

export async function startDaemon(opts: StartDaemonOptions = {}): Promise<RunningDaemon> {
  const paths = resolveAgentPaths({
    ...(opts.configPath ? { configPath: opts.configPath } : {}),
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.controlSocketPath ? { controlSocketPath: opts.controlSocketPath } : {}),
  });
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDaemonLock(join(paths.dataDir, 'daemon.lock'));
  // A lock alone cannot see a daemon of the same user started with another data dir but the
  // same endpoint: refuse rather than steal its socket.
  if (await new ControlClient(paths.controlSocketPath, 2000).isRunning()) {
    await lock.release();
    throw new DaemonAlreadyRunningError(-1, paths.controlSocketPath);
  }
  const logger =
    opts.logger ??
    createAgentLogger(opts.logDestination ? { destination: opts.logDestination } : {});
  try {
    const secretStore = await openSecretStore(paths.dataDir, opts.secretStore);
    const identityStore = new IdentityStore(paths.dataDir, secretStore);
    const identity = await identityStore.loadOrCreate();
    logger.info(
      { agent_id: identity.agentId, secret_store: secretStore.info.kind, data_dir: paths.dataDir },
      'agent identity loaded',
    );
    const workRoot = opts.workRoot ?? join(paths.dataDir, 'work');
    await prepareWorkRoot(workRoot, logger);
    const history = new JobHistory(join(paths.dataDir, 'job-history.jsonl'), opts.historyLimit);
    await history.load();
    const events = new DaemonEvents();
    const defaults: DefaultProcessing | undefined =
      opts.processors && opts.detectCapabilities
        ? undefined
        : await createDefaultProcessing(paths.dataDir, {
            toolPaths: (): FfmpegPathOptions => ({
              ffmpegPath: runtime.currentConfig.ffmpeg_path,
              ffprobePath: runtime.currentConfig.ffprobe_path,
            }),
            videoEncoder: () => runtime.currentConfig.video_encoder,
            ...(opts.loadWhisperAddon ? { loadWhisperAddon: opts.loadWhisperAddon } : {}),
          });
    const runtime: AgentRuntime = new AgentRuntime({
      paths,
      identityStore,
      secretStore,
      identity,
      processors: opts.processors ?? defaults!.processors,
      detectCapabilities: opts.detectCapabilities ?? (() => defaults!.detectCapabilities()),
      ...(defaults ? { listModels: () => defaults.listModels() } : {}),
      intervals: { ...DEFAULT_INTERVALS, ...opts.intervals },
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      logger,
      events,
      history,
      agentVersion: AGENT_VERSION,
      workRoot,
    });
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        logger.info('daemon stopping');
        await runtime.stop();
        await defaults?.close().catch(() => undefined);
        await control.close();
        await lock.release();
        logger.info('daemon stopped');
        logger.flush?.();
        resolveStopped();
      })());
    // Config and saved credentials are read before the control API answers: its first status
    // already says "enrolled" for an enrolled agent, so nobody starts a second enrolment.
    await runtime.prepare();
    const control = await startControlServer(
      paths.controlSocketPath,
      runtime,
      events,
      () => void stop(),
    );
    await runtime.start();
    if (opts.applyCpuPriority) {
      try {
        setPriority(runtime.currentConfig.cpu_priority);
      } catch (err) {
        logger.warn({ error: (err as Error).message }, 'could not lower CPU priority');
      }
    }
    logger.info({ control_endpoint: control.endpoint }, 'daemon started');
    return {
      controlEndpoint: control.endpoint,
      paths,
      agentId: identity.agentId,
      runtime,
      events,
      stop,
      stopped,
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
