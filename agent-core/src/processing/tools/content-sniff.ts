// What a file really is, from its first bytes: used to explain refusals and mislabelled files
// in human words ("This is a JPEG image named .mov"), never to decide what ffmpeg may open.
import { closeSync, constants as fsConstants, openSync, readSync } from 'node:fs';

export interface SniffedKind {
  /** Human name with its article: "a JPEG image", "an HLS playlist". */
  label: string;
  /** The extension such a file should have, without the dot (when there is a usual one). */
  extension?: string;
  /** True for text formats that list other files or URLs to read. */
  indirection: boolean;
}

const HEAD_BYTES = 4096;

function startsWith(head: Buffer, bytes: number[], at = 0): boolean {
  return bytes.every((b, i) => head[at + i] === b);
}

/** Identifies the kinds we can name; undefined for anything else (including real media). */
export function sniffHead(head: Buffer): SniffedKind | undefined {
  const text = head.toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
  const trimmed = text.trimStart();
  if (/^#EXTM3U/.test(trimmed))
    return { label: 'an HLS playlist (M3U8)', extension: 'm3u8', indirection: true };
  if (/^ffconcat version/i.test(trimmed) || /^file\s+['"]?[^\n]+/m.test(trimmed.slice(0, 512)))
    return { label: 'an ffmpeg concat list', extension: 'ffconcat', indirection: true };
  if (/^\[playlist\]/i.test(trimmed))
    return { label: 'a PLS playlist', extension: 'pls', indirection: true };
  if (/^<\?xml[\s\S]{0,512}<MPD\b/i.test(trimmed) || /^<MPD\b/i.test(trimmed))
    return { label: 'a DASH manifest (MPD)', extension: 'mpd', indirection: true };
  if (/^<\?xml[\s\S]{0,512}<(smil|CompositionPlaylist)\b/i.test(trimmed))
    return { label: 'an XML playlist (SMIL/IMF)', indirection: true };
  if (startsWith(head, [0xff, 0xd8, 0xff]))
    return { label: 'a JPEG image', extension: 'jpg', indirection: false };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { label: 'a PNG image', extension: 'png', indirection: false };
  if (text.startsWith('GIF87a') || text.startsWith('GIF89a'))
    return { label: 'a GIF image', extension: 'gif', indirection: false };
  if (text.startsWith('RIFF') && text.slice(8, 12) === 'WEBP')
    return { label: 'a WebP image', extension: 'webp', indirection: false };
  if (text.startsWith('II*\0') || text.startsWith('MM\0*'))
    return { label: 'a TIFF image (or camera RAW)', extension: 'tif', indirection: false };
  if (text.startsWith('BM') && head.length > 26 && head.readUInt32LE(2) > 26)
    return { label: 'a BMP image', extension: 'bmp', indirection: false };
  if (text.slice(4, 8) === 'ftyp' && /^(heic|heix|mif1|msf1|hevc|avif)/.test(text.slice(8, 12)))
    return { label: 'a HEIF/AVIF image', extension: 'heic', indirection: false };
  if (text.startsWith('%PDF-')) return { label: 'a PDF document', indirection: false };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]))
    return { label: 'a ZIP archive', extension: 'zip', indirection: false };
  return undefined;
}

/** Reads the first bytes of `path` (read-only, never following a final symlink). */
export function sniffFile(path: string): SniffedKind | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    const head = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, head, 0, HEAD_BYTES, 0);
    return sniffHead(head.subarray(0, n));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
