// The one place the agent runs ffmpeg/ffprobe. Everything else calls these functions and never
// spawns the binaries itself. Split along its seams:
//   ffmpeg-binaries.ts  which binaries run (documented order) and their versions
//   ffmpeg-process.ts   spawning, abort/kill, exit → ProcessingError
//   media-input.ts      how a source may be read (descriptor + whitelists), refusals
//   probe.ts            probeMedia (ffprobe JSON)
//   ffmpeg-decode.ts    PCM streaming, single frames, readable duration
//
// Why we spawn the binaries directly instead of going through fluent-ffmpeg: fluent-ffmpeg is
// unmaintained upstream, its progress parsing reads the human stderr (fragile across versions),
// it offers no AbortSignal, and streaming raw PCM/frames out of stdout with back-pressure is
// awkward through it. A thin `child_process.spawn` wrapper with `-progress pipe:1` gives us
// machine-readable progress, prompt kill on abort, and bounded memory, in less code.
export {
  describeFfmpeg,
  formatFfmpegInfo,
  resolveFfmpegBinaries,
  toolVersion,
  type FfmpegBinaries,
  type FfmpegPathOptions,
  type FfmpegSource,
  type ToolInfo,
} from './ffmpeg-binaries.js';
export { FFMPEG_ERROR_CODES } from './ffmpeg-process.js';
export { assertReadableMediaFile, sourceInputArgs } from './media-input.js';
export { probeMedia, type ProbeFormat, type ProbeResult, type ProbeStream } from './probe.js';
export {
  decodePcm,
  extractVideoFrame,
  measureReadableDurationMs,
  type DecodePcmOptions,
  type RgbFrame,
} from './ffmpeg-decode.js';
export {
  ffmpegFailure,
  listFfmpegEncoders,
  msToSeconds,
  runFfmpeg,
  runFfmpegToBuffer,
  spawnFfmpeg,
  type FfmpegProgress,
  type RunFfmpegOptions,
} from './ffmpeg-run.js';
