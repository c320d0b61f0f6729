// Independent checks of produced files with ffprobe/sharp (tests only): we never trust the
// processor's own view of what it wrote.
import { execFileSync } from 'node:child_process';
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import type { ProcessorContext } from '../processor.js';

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  sample_aspect_ratio?: string;
  field_order?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  bit_rate?: string;
}

export function ffprobeJson(path: string): {
  streams: ProbedStream[];
  format: { format_name: string; duration: string; bit_rate?: string };
} {
  return JSON.parse(
    execFileSync(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
      { encoding: 'utf8' },
    ),
  );
}

/** Key-frame timestamps (seconds) of the first video stream. */
export function keyframeTimes(path: string): number[] {
  const out = execFileSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-skip_frame',
      'nokey',
      '-show_entries',
      'frame=pts_time',
      '-of',
      'csv=p=0',
      path,
    ],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .map((l) => l.replace(/,/g, '').trim())
    .filter(Boolean)
    .map(Number);
}

/** Top-level MP4 box types in file order (checks faststart: moov before mdat). */
export function topLevelBoxes(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const boxes: string[] = [];
    const hdr = Buffer.alloc(16);
    for (let pos = 0; pos + 8 <= size;) {
      readSync(fd, hdr, 0, 16, pos);
      let len = hdr.readUInt32BE(0);
      boxes.push(hdr.toString('latin1', 4, 8));
      if (len === 1) len = Number(hdr.readBigUInt64BE(8));
      if (len < 8) break;
      pos += len;
    }
    return boxes;
  } finally {
    closeSync(fd);
  }
}

export function testContext(
  sourcePath: string,
  workDir: string,
  extra: Partial<ProcessorContext> = {},
): ProcessorContext & { progress: number[] } {
  const progress: number[] = [];
  return {
    jobId: 'job-test',
    jobType: 'generate_preview',
    assetUuid: 'asset-test',
    sourcePath,
    sidecarPaths: [],
    workDir,
    signal: new AbortController().signal,
    onProgress: (p) => {
      if (p.percent !== undefined) progress.push(p.percent);
    },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    progress,
    ...extra,
  };
}
