// Formats that are pointers to other files or streams (playlists, concat lists, manifests,
// pattern and network demuxers). An agent never processes them (it would read files other than
// the asset's own), and Core refuses facts that claim one as `media_format`. docs/media-input-safety.md
export const REFUSED_MEDIA_FORMATS: ReadonlySet<string> = new Set([
  'hls',
  'applehttp',
  'm3u',
  'm3u8',
  'concat',
  'ffconcat',
  'dash',
  'mpd',
  'webm_dash_manifest',
  'imf',
  'image2',
  'tee',
  'subfile',
  'sdp',
  'rtsp',
  'rtp',
  'lavfi',
  'avisynth',
  'vapoursynth',
  'smil',
  'pls',
]);

/** True when `mediaFormat` (an ffmpeg demuxer name or list, any case) names a refused format. */
export function isRefusedMediaFormat(mediaFormat: string): boolean {
  return mediaFormat
    .toLowerCase()
    .split(',')
    .some((name) => REFUSED_MEDIA_FORMATS.has(name.trim()));
}
