// Options shared by the media processors built in registry.ts.
import {
  resolveFfmpegBinaries,
  type FfmpegBinaries,
  type FfmpegPathOptions,
} from './tools/ffmpeg.js';

export interface MediaProcessorOptions extends FfmpegPathOptions {
  /** Override binary resolution entirely (tests). */
  binaries?: FfmpegBinaries;
}

/** Resolved per job so installing ffmpeg while the daemon runs heals it (errors are retryable). */
export function binariesFor(opts: MediaProcessorOptions): FfmpegBinaries {
  return opts.binaries ?? resolveFfmpegBinaries(opts);
}
