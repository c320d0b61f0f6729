// ffmpeg arguments for synthetic test media, shared by every package's tests, the demo library
// and the whole-system tests (each runs them with its own ffmpeg runner). Fast presets only:
// fixtures must be quick to make on a loaded machine, not pretty.

/** H.264 at the fastest preset, in the pixel format every player and decoder accepts. */
export const X264_FAST = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** `-f lavfi -i <source>` for each synthetic source (`testsrc2=…`, `sine=…`), in input order. */
export function lavfi(...sources: string[]): string[] {
  return sources.flatMap((source) => ['-f', 'lavfi', '-i', source]);
}

/**
 * A video test pattern with a sine track: fast H.264 + AAC, cut to the shorter input. Append the
 * output path, e.g. `videoWithTone('testsrc2=size=320x240:rate=25:duration=1', 'sine=duration=1')`.
 */
export function videoWithTone(video: string, tone: string): string[] {
  return [...lavfi(video, tone), ...X264_FAST, '-c:a', 'aac', '-shortest'];
}

/**
 * Inputs of a "private recording" for the media-input attacks: 3 s of magenta frames and a
 * 1234 Hz tone, easy to recognise if it leaks into a derived file. Add codecs and the output.
 */
export const RECOGNISABLE_RECORDING = [
  ...lavfi('color=c=magenta:s=320x240:r=25:d=3', 'sine=f=1234:d=3'),
  '-shortest',
];
