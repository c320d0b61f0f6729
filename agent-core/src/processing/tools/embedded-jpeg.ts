// Finds the preview JPEG that camera RAWs (CR2, NEF, ARW, DNG, RAF, ORF…) carry: libvips cannot
// demosaic RAW sensor data, so the largest embedded JPEG is what we publish. Pure function of a
// buffer, run in the image worker (a 50 MB RAW is scanned byte by byte).

/**
 * The largest well-formed JPEG inside `buf` (SOI … EOI, following the segment structure), or
 * undefined when there is none bigger than 1 KB.
 */
export function largestEmbeddedJpeg(buf: Uint8Array): { start: number; end: number } | undefined {
  const size = buf.length;
  let best: { start: number; end: number } | undefined;
  for (let i = buf.indexOf(0xff); i >= 0 && i < size - 3; i = buf.indexOf(0xff, i + 1)) {
    if (buf[i + 1] !== 0xd8 || buf[i + 2] !== 0xff) continue;
    const end = jpegEnd(buf, i);
    if (end && (!best || end - i > best.end - best.start)) best = { start: i, end };
    if (end) i = end - 1;
  }
  return best && best.end - best.start > 1024 ? best : undefined;
}

/** Index just past the EOI of the JPEG starting at `soi`, or undefined when malformed. */
function jpegEnd(buf: Uint8Array, soi: number): number | undefined {
  let p = soi + 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return undefined;
    const marker = buf[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd9) return p + 2;
    if (marker >= 0xd0 && marker <= 0xd7) {
      p += 2;
      continue;
    }
    const len = (buf[p + 2]! << 8) | buf[p + 3]!;
    if (len < 2) return undefined;
    p += 2 + len;
    if (marker === 0xda) {
      // Entropy-coded data: skip to the next marker that is not stuffing (FF00) or RSTn.
      for (p = buf.indexOf(0xff, p); p >= 0 && p + 1 < buf.length; p = buf.indexOf(0xff, p + 1)) {
        const m = buf[p + 1]!;
        if (m !== 0x00 && !(m >= 0xd0 && m <= 0xd7) && m !== 0xff) break;
      }
      if (p < 0) return undefined;
    }
  }
  return undefined;
}
