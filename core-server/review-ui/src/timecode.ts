// Source timecode: the proxy plays from 0, the camera's clock started at `timecode_start`
// (`HH:MM:SS:FF`, or `;` before frames for drop-frame). Shown as source TC at the playhead, and
// frame stepping uses the source frame rate so a step lands on the next frame of the proxy.

export interface Timecode {
  frames: number;
  dropFrame: boolean;
}

export function parseTimecode(tc: string | undefined, fps: number): Timecode | null {
  const m = tc && /^(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{2})$/.exec(tc.trim());
  if (!m || !(fps > 0)) return null;
  const nominal = Math.round(fps);
  const [hh, mm, ss, ff] = [m[1], m[2], m[3], m[5]].map(Number) as [number, number, number, number];
  return { frames: ((hh * 60 + mm) * 60 + ss) * nominal + ff, dropFrame: m[4] === ';' };
}

/** `HH:MM:SS:FF` of a frame count at the nominal rate (non-drop). */
export function formatFrames(total: number, fps: number): string {
  const nominal = Math.max(1, Math.round(fps));
  const ff = total % nominal;
  const s = Math.floor(total / nominal);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}:${pad(ff)}`;
}

/** Source timecode at `seconds` into the proxy. */
export function sourceTimecodeAt(start: Timecode | null, seconds: number, fps: number): string {
  const offset = Math.floor(seconds * fps + 1e-6);
  return formatFrames((start?.frames ?? 0) + offset, fps);
}
