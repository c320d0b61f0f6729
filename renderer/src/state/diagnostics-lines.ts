// Reads single facts out of the daemon's diagnostics report (the text `retaia-agent diagnostics`
// prints), for the few places the window shows one of them.

/** The "video encoder:" line of a diagnostics report, without its label. */
export function videoEncoderInUse(diagnostics: string): string | undefined {
  const line = diagnostics.split('\n').find((l) => l.startsWith('video encoder: '));
  return line?.slice('video encoder: '.length);
}
