// Camera facts from EXIF (exifr): make/model/lens, exposure, orientation, capture time, GPS.
// Shared by the photo facts of every format (a HEIF's EXIF block is handed over as a buffer).
import exifr from 'exifr';
import type { FactsPatch } from '@retaia/protocol';

const EXIF_OPTIONS = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  makerNote: false,
  userComment: false,
  // Raw values: exifr's revived dates use the agent's local zone, which differs across agents.
  translateValues: false,
  reviveValues: false,
  mergeOutput: true,
} as const;

type ExifRecord = Record<string, unknown>;

export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.replace(/\0/g, '').trim() !== ''
    ? v.replace(/\0/g, '').trim()
    : undefined;

/** EXIF "2008:10:22 16:28:39" (+ optional "+02:00" offset) → RFC 3339. No offset → treated as UTC. */
export function exifDateToIso(date: unknown, offset: unknown): string | undefined {
  const m =
    typeof date === 'string' && /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(date);
  if (!m || m[1] === '0000') return undefined;
  const zone =
    typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset.trim()) ? offset.trim() : 'Z';
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`;
  return Number.isNaN(new Date(iso).getTime()) ? undefined : iso;
}

function dmsToDecimal(v: unknown, ref: unknown): number | undefined {
  let deg: number | undefined;
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) {
    const [d, m, s] = v as [number, number, number];
    deg = d + m / 60 + s / 3600;
  } else deg = num(v);
  if (deg === undefined) return undefined;
  return typeof ref === 'string' && /^[SW]/i.test(ref) ? -deg : deg;
}

export function factsFromExif(e: ExifRecord): FactsPatch {
  const f: FactsPatch = {};
  const make = str(e.Make);
  const model = str(e.Model);
  const lens = str(e.LensModel) ?? str(e.Lens);
  if (make) f.camera_make = make;
  if (model) f.camera_model = model;
  if (lens) f.lens_model = lens;
  const exposure = num(e.ExposureTime);
  if (exposure && exposure > 0) f.exposure_time_s = exposure;
  const fnum = num(e.FNumber);
  if (fnum && fnum > 0) f.aperture_f_number = fnum;
  const iso = num(e.ISO) ?? (Array.isArray(e.ISO) ? num(e.ISO[0]) : undefined);
  if (iso && iso > 0) f.iso = Math.round(iso);
  const focal = num(e.FocalLength);
  if (focal && focal > 0) f.focal_length_mm = focal;
  const ev = num(e.ExposureCompensation);
  if (ev !== undefined) f.exposure_compensation_ev = ev;
  const orientation = num(e.Orientation);
  if (orientation && orientation >= 1 && orientation <= 8) f.orientation = orientation;
  const captured =
    exifDateToIso(e.DateTimeOriginal, e.OffsetTimeOriginal) ??
    exifDateToIso(e.CreateDate, e.OffsetTimeDigitized) ??
    exifDateToIso(e.ModifyDate, e.OffsetTime);
  if (captured) f.captured_at = captured;
  const lat = dmsToDecimal(e.GPSLatitude, e.GPSLatitudeRef);
  const lon = dmsToDecimal(e.GPSLongitude, e.GPSLongitudeRef);
  if (
    lat !== undefined &&
    lon !== undefined &&
    Math.abs(lat) <= 90 &&
    Math.abs(lon) <= 180 &&
    !(lat === 0 && lon === 0)
  ) {
    f.gps_latitude = Math.round(lat * 1e7) / 1e7;
    f.gps_longitude = Math.round(lon * 1e7) / 1e7;
    const alt = num(e.GPSAltitude);
    if (alt !== undefined) {
      const ref = e.GPSAltitudeRef;
      const below = ref === 1 || (ref instanceof Uint8Array && ref[0] === 1);
      f.gps_altitude_m = below ? -alt : alt;
    }
  }
  return f;
}

/** EXIF of any supported file (or of a TIFF-structured EXIF block), or {} when there is none. */
export async function readExif(path: string | Buffer): Promise<ExifRecord> {
  try {
    return ((await exifr.parse(path, EXIF_OPTIONS)) as ExifRecord | undefined) ?? {};
  } catch {
    return {};
  }
}
