// A copyable, redacted diagnostics report (control API `/v1/diagnostics`, `retaia-agent
// diagnostics`, the desktop app's "copy bug report"). It never contains a secret: nothing
// secret is passed in, and `redactSecrets` scrubs anything that looks like one anyway.
import { arch, platform, release } from 'node:os';
import type { JobType } from '@retaia/protocol';
import type { AgentPaths } from '../config/agent-paths.js';
import type { VideoEncoderChoice } from '../processing/preview/video-encoder.js';
import type { Processor } from '../processing/processor.js';
import { describeFfmpeg, formatFfmpegInfo } from '../processing/tools/ffmpeg.js';
import type { AgentConfig } from '../config/config-schema.js';
import type { SecretStoreInfo } from '../identity/secret-store.js';
import type { JobHistoryEntry, StatusSnapshot } from './control-protocol.js';

const SECRET_PATTERNS: [RegExp, string][] = [
  [
    /-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]*?-----END PGP PRIVATE KEY BLOCK-----/g,
    '[redacted private key]',
  ],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  [
    /("?(?:secret_key|access_token|secretKey|accessToken|password)"?\s*[:=]\s*"?)[^"\s,}]+/gi,
    '$1[redacted]',
  ],
  [/(\/\/)[^/@\s]+:[^/@\s]+@/g, '$1[redacted]@'],
];

export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((acc, [re, repl]) => acc.replace(re, repl), text);
}

export interface DiagnosticsInput {
  status: StatusSnapshot;
  paths: AgentPaths;
  config: AgentConfig;
  configProblem?: string;
  capabilityProblems: string[];
  secretStore: SecretStoreInfo;
  fingerprint?: string;
  history: JobHistoryEntry[];
  /** Which ffmpeg/ffprobe run, from where, and their versions (ffmpegDiagnostics()). */
  ffmpeg?: string;
  /** The H.264 encoder of video proxies and why (videoEncoderDiagnostics()). */
  videoEncoder?: string;
}

/** The encoder line: what the preview processor uses now (detects it on first use). */
export async function videoEncoderDiagnostics(
  processors: Map<JobType, Processor>,
): Promise<string | undefined> {
  const preview = processors.get('generate_preview') as
    (Processor & { videoEncoder?: () => Promise<VideoEncoderChoice> }) | undefined;
  if (!preview?.videoEncoder) return undefined;
  try {
    const c = await preview.videoEncoder();
    return `${c.encoder} (${c.hardware ? 'hardware' : 'software'}) — ${c.reason}`;
  } catch (err) {
    return `unknown — ${(err as Error).message}`;
  }
}

/** The ffmpeg line of the report: the binaries the agent's config resolves to right now. */
export async function ffmpegDiagnostics(
  config: Pick<AgentConfig, 'ffmpeg_path' | 'ffprobe_path'>,
): Promise<string> {
  try {
    return formatFfmpegInfo(
      await describeFfmpeg({
        ...(config.ffmpeg_path ? { ffmpegPath: config.ffmpeg_path } : {}),
        ...(config.ffprobe_path ? { ffprobePath: config.ffprobe_path } : {}),
      }),
    );
  } catch (err) {
    return `unavailable — ${(err as Error).message}`;
  }
}

export function buildDiagnosticsText(d: DiagnosticsInput): string {
  const s = d.status;
  const lines = [
    '# retaia-agent diagnostics',
    `generated: ${new Date().toISOString()}`,
    `agent: ${s.agentName} ${s.agentVersion} (id ${s.agentId}, pid ${s.pid}, since ${s.startedAt})`,
    `openpgp fingerprint: ${d.fingerprint ?? 'n/a'}`,
    `platform: ${platform()} ${release()} ${arch()}, node ${process.version}`,
    `state: ${s.state}${s.reason ? ` — ${s.reason}` : ''}`,
    `core: ${s.coreUrl ?? '(not configured)'}; connection ${s.connection.state} since ${s.connection.since}${s.connection.lastError ? ` (${s.connection.lastError})` : ''}`,
    `auth: ${s.auth.state}${s.auth.clientId ? ` (client ${s.auth.clientId})` : ''}`,
    `secret store: ${d.secretStore.kind} — ${d.secretStore.detail}`,
    `paths: config ${d.paths.configPath}; data ${d.paths.dataDir}; control ${d.paths.controlSocketPath}`,
    ...(d.ffmpeg ? [`ffmpeg: ${d.ffmpeg}`] : []),
    ...(d.videoEncoder ? [`video encoder: ${d.videoEncoder}`] : []),
    `capabilities: ${s.capabilities.join(', ') || '(none)'}`,
    `effective capabilities: ${s.effectiveCapabilities.join(', ') || '(none)'}`,
    ...d.capabilityProblems.map((p) => `capability problem: ${p}`),
    `feature flags: ${JSON.stringify(s.featureFlags)}`,
    `parallel jobs: ${s.maxParallelJobs}; running: ${s.currentJobs.length}`,
    ...(d.configProblem ? [`config problem: ${d.configProblem}`] : []),
    ...(s.mountProblems ?? []).map(
      (m) => `storage mount problem: ${m.storageId} (${m.path}): ${m.problem}`,
    ),
    '## config',
    JSON.stringify(d.config, null, 2),
    '## recent jobs',
    ...(d.history.length
      ? d.history.map(
          (h) =>
            `${h.finishedAt} ${h.outcome.padEnd(10)} ${h.jobType} ${h.sourceName} ${h.durationMs} ms${h.errorCode ? ` ${h.errorCode}: ${h.message ?? ''}` : ''}`,
        )
      : ['(none)']),
  ];
  return redactSecrets(lines.join('\n'));
}
