// Which ffmpeg and ffprobe the agent runs (docs/media-engine.md, "Which ffmpeg runs").
//
// Each tool is looked up in this order, the first hit wins:
//   1. configured     the agent config's ffmpeg_path / ffprobe_path
//   2. env            RETAIA_FFMPEG_PATH / RETAIA_FFPROBE_PATH (then the older FFMPEG_PATH /
//                     FFPROBE_PATH); for ffprobe also the one beside a configured/env ffmpeg
//   3. ffmpeg-static  the optional ffmpeg-static package, when its install could download
//   4. path           the system PATH
//   5. bundled        @ffmpeg-installer/<platform> and @ffprobe-installer/<platform>: binaries
//                     shipped inside the npm packages, so a machine with only Node still works
// Why the system PATH comes before the bundled build: the bundled builds are fixed snapshots
// (ffmpeg from 2018, ffprobe from 2023 on linux-x64) and that ffprobe crashes on every MPEG-TS
// (.mts/.m2ts camera files); an ffmpeg the operator installed is newer and maintained. The
// bundled build is the fallback that makes a fresh machine work.
// A configured or env path that is not an executable file is an error, not a silent fallback:
// the operator asked for that binary.
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, sep } from 'node:path';
import { ProcessingError } from '../processor.js';
import { collectStdout, failureFromExit, FFMPEG_ERROR_CODES, supervise } from './ffmpeg-process.js';

export type FfmpegSource = 'configured' | 'env' | 'ffmpeg-static' | 'bundled' | 'path';

export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
  /** Where ffmpeg came from. */
  source: FfmpegSource;
  /** Where ffprobe came from. */
  ffprobeSource: FfmpegSource;
}

export interface FfmpegPathOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
}

export type Tool = 'ffmpeg' | 'ffprobe';
interface Found {
  path: string;
  source: FfmpegSource;
}

const exeSuffix = process.platform === 'win32' ? '.exe' : '';
const ENV_NAMES: Record<Tool, string[]> = {
  ffmpeg: ['RETAIA_FFMPEG_PATH', 'FFMPEG_PATH'],
  ffprobe: ['RETAIA_FFPROBE_PATH', 'FFPROBE_PATH'],
};
const BUNDLED_PACKAGES: Record<Tool, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Inside a packaged Electron app the packages sit in app.asar, which cannot be executed; the
 * binaries are unpacked beside it (electron-builder `asarUnpack`).
 */
function unpackedFromAsar(p: string): string {
  const marker = `app.asar${sep}`;
  return p.includes(marker) ? p.replace(marker, `app.asar.unpacked${sep}`) : p;
}

export function findOnPath(name: Tool): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(d, name + exeSuffix);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** A binary path exported by an npm package (a string, or `{ path }`), when it is runnable. */
export function packageBinary(pkg: string): string | undefined {
  try {
    const exported = createRequire(import.meta.url)(pkg) as unknown;
    const raw =
      typeof exported === 'string' ? exported : (exported as { path?: unknown } | null)?.path;
    if (typeof raw !== 'string') return undefined;
    const p = unpackedFromAsar(raw);
    return isExecutableFile(p) ? p : undefined;
  } catch {
    // Not installed, or no build for this platform: the next candidate is tried.
    return undefined;
  }
}

function unavailable(message: string): ProcessingError {
  return new ProcessingError(
    FFMPEG_ERROR_CODES.unavailable,
    `${message}. Install ffmpeg (e.g. "apt install ffmpeg"), reinstall the agent's npm ` +
      'dependencies (they bundle ffmpeg), or set ffmpeg_path/ffprobe_path in the agent config ' +
      'or RETAIA_FFMPEG_PATH/RETAIA_FFPROBE_PATH.',
    true,
  );
}

function explicit(
  tool: Tool,
  configured: string | undefined,
  env: NodeJS.ProcessEnv,
): Found | undefined {
  if (configured) {
    if (!isExecutableFile(configured))
      throw unavailable(`${tool}: configured path ${configured} is not an executable file`);
    return { path: configured, source: 'configured' };
  }
  for (const name of ENV_NAMES[tool]) {
    const value = env[name];
    if (!value) continue;
    if (!isExecutableFile(value))
      throw unavailable(`${tool}: ${name}=${value} is not an executable file`);
    return { path: value, source: 'env' };
  }
  return undefined;
}

/** What the lookup reads from the machine; tests substitute it. */
export interface BinaryLookup {
  env: NodeJS.ProcessEnv;
  /** The runnable binary an npm package exports, if installed. */
  packageBinary(pkg: string): string | undefined;
  onPath(name: Tool): string | undefined;
}

const machineLookup: BinaryLookup = {
  get env() {
    return process.env;
  },
  packageBinary,
  onPath: findOnPath,
};

function automatic(tool: Tool, look: BinaryLookup): Found | undefined {
  if (tool === 'ffmpeg') {
    const fromStatic = look.packageBinary('ffmpeg-static');
    if (fromStatic) return { path: fromStatic, source: 'ffmpeg-static' };
  }
  const onPath = look.onPath(tool);
  if (onPath) return { path: onPath, source: 'path' };
  const bundled = look.packageBinary(BUNDLED_PACKAGES[tool]);
  return bundled ? { path: bundled, source: 'bundled' } : undefined;
}

/**
 * Finds ffmpeg and ffprobe in the documented order (top of this file). Throws a retryable
 * FFMPEG_UNAVAILABLE naming what was tried when one is missing.
 */
export function resolveFfmpegBinaries(
  opts: FfmpegPathOptions = {},
  look: BinaryLookup = machineLookup,
): FfmpegBinaries {
  const ffmpeg = explicit('ffmpeg', opts.ffmpegPath, look.env) ?? automatic('ffmpeg', look);
  if (!ffmpeg)
    throw unavailable(
      'ffmpeg not found (not configured, no env path, not on PATH, no bundled build)',
    );
  let ffprobe = explicit('ffprobe', opts.ffprobePath, look.env);
  if (!ffprobe && (ffmpeg.source === 'configured' || ffmpeg.source === 'env')) {
    // Someone who points at their own ffmpeg build wants its ffprobe too.
    const sibling = join(dirname(ffmpeg.path), 'ffprobe' + exeSuffix);
    if (isExecutableFile(sibling)) ffprobe = { path: sibling, source: ffmpeg.source };
  }
  ffprobe ??= automatic('ffprobe', look);
  if (!ffprobe)
    throw unavailable(
      'ffprobe not found (not configured, no env path, not on PATH, no bundled build)',
    );
  return {
    ffmpeg: ffmpeg.path,
    ffprobe: ffprobe.path,
    source: ffmpeg.source,
    ffprobeSource: ffprobe.source,
  };
}

/** Runs `<bin> -version` and returns its first line; throws a retryable error when it fails. */
export async function toolVersion(bin: string, signal?: AbortSignal): Promise<string> {
  const proc = supervise(bin, ['-hide_banner', '-version'], signal);
  const out = collectStdout(proc);
  const result = await proc.exited;
  if (result.code !== 0) throw failureFromExit('ffmpeg', result, proc.stderrTail());
  return out().split('\n')[0] ?? '';
}

export interface ToolInfo {
  path: string;
  source: FfmpegSource;
  /** First line of `-version`, e.g. "ffmpeg version 5.1.6-0+deb12u1 Copyright …". */
  version: string;
}

/** Which ffmpeg (and ffprobe) runs, where it came from and its version, for diagnostics. */
export async function describeFfmpeg(
  opts: FfmpegPathOptions & { binaries?: FfmpegBinaries } = {},
): Promise<ToolInfo & { ffprobe: ToolInfo }> {
  const bins = opts.binaries ?? resolveFfmpegBinaries(opts);
  const [version, probeVersion] = await Promise.all([
    toolVersion(bins.ffmpeg),
    toolVersion(bins.ffprobe),
  ]);
  return {
    path: bins.ffmpeg,
    source: bins.source,
    version,
    ffprobe: { path: bins.ffprobe, source: bins.ffprobeSource, version: probeVersion },
  };
}

/** One line for diagnostics and status views. */
export function formatFfmpegInfo(info: ToolInfo & { ffprobe: ToolInfo }): string {
  const short = (v: string) => v.replace(/\s+Copyright.*$/, '');
  return (
    `${short(info.version)} [${info.source}] ${info.path}; ` +
    `${short(info.ffprobe.version)} [${info.ffprobe.source}] ${info.ffprobe.path}`
  );
}
