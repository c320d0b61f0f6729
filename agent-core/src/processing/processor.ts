// The seam between the daemon (which owns HTTP, leases and uploads) and media processing
// (pure-ish functions of an input file). A processor never touches the network: it reads the
// source read-only, writes its outputs into `workDir`, reports progress, and stops promptly
// when `signal` aborts (lease lost, shutdown).
import type {
  DerivedKind,
  FactsPatch,
  JobType,
  MediaType,
  TranscriptPatch,
} from '@retaia/protocol';

export interface ProcessorProgress {
  /** Short machine-friendly stage name, e.g. "probing", "encoding", "thumbnails". */
  stage: string;
  /** 0..100 when known. */
  percent?: number;
}

export interface ProcessorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ProcessorContext {
  jobId: string;
  jobType: JobType;
  assetUuid: string;
  /** Media type when known (inferred from required capabilities or the extension). */
  mediaType?: MediaType;
  /** Absolute, already validated, read-only source path. */
  sourcePath: string;
  sidecarPaths: string[];
  /** Private temp directory for this job; the runner deletes it afterwards. */
  workDir: string;
  signal: AbortSignal;
  onProgress(progress: ProcessorProgress): void;
  logger: ProcessorLogger;
  /** Server feature flags in force (absent = false). */
  featureFlags?: Record<string, boolean>;
}

export interface DerivedFile {
  kind: DerivedKind;
  /** Absolute path inside ctx.workDir. */
  path: string;
  contentType: string;
}

interface OutputExtras {
  warnings?: string[];
  metrics?: Record<string, unknown>;
}

export type ProcessorOutput =
  | ({ type: 'facts'; factsPatch: FactsPatch } & OutputExtras)
  /** Ordered: for thumbnails the order is the published order (chronological). */
  | ({ type: 'derived'; files: DerivedFile[] } & OutputExtras)
  | ({ type: 'transcript'; transcriptPatch: TranscriptPatch } & OutputExtras);

export interface Processor {
  readonly jobType: JobType;
  run(ctx: ProcessorContext): Promise<ProcessorOutput>;
}

/**
 * A failure the daemon turns into `POST /jobs/{id}/fail`. `retryable:false` for unreadable or
 * corrupt sources; `true` for timeouts, OOM, missing engines, upload trouble (docs/protocol.md#the-agent-loop).
 */
export class ProcessingError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProcessingError';
  }
}

/** Thrown when ctx.signal aborted the work; the daemon never submits after this. */
export class ProcessingAbortedError extends Error {
  constructor(reason?: unknown) {
    super(`processing aborted${reason ? `: ${String(reason)}` : ''}`);
    this.name = 'ProcessingAbortedError';
  }
}
