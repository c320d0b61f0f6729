// zod mirror of the contract's FactsPatch / TranscriptPatch / DerivedPatch (strict: unknown
// fields are refused, like the contract's additionalProperties: false).
// It lives with the job layer: the routes parse bodies with it and submit-job-result acts on the
// parsed type, so neither has to reach into the other's layer.
import { DERIVED_KINDS, isRefusedMediaFormat } from '@retaia/protocol';
import { z } from 'zod';

const int = z.number().int();
const num = z.number();
const str = z.string().max(1000);

export const factsPatchSchema = z
  .object({
    duration_ms: int.min(0),
    // A playlist or other indirection format is never an asset's media: an agent that read
    // one may have read files outside the storage (docs/media-input-safety.md).
    media_format: str.refine((v) => !isRefusedMediaFormat(v), {
      error: (issue) =>
        `refused: ${JSON.stringify(issue.input)} is a playlist or indirection format ` +
        '(it points at other files), not the media of an asset; the agent must fail the job instead',
    }),
    video_codec: str,
    audio_codec: str,
    width: int.min(0),
    height: int.min(0),
    fps: num.min(0),
    captured_at: z.iso.datetime({ offset: true }),
    exposure_time_s: num,
    aperture_f_number: num,
    iso: int,
    focal_length_mm: num,
    camera_make: str,
    camera_model: str,
    lens_model: str,
    orientation: int,
    bitrate_kbps: int,
    sample_rate_hz: int,
    channel_count: int,
    bits_per_sample: int,
    rotation_deg: int,
    timecode_start: str,
    pixel_format: str,
    color_range: str,
    color_space: str,
    color_transfer: str,
    color_primaries: str,
    recorder_model: str,
    gps_latitude: num.min(-90).max(90),
    gps_longitude: num.min(-180).max(180),
    gps_altitude_m: num,
    gps_altitude_relative_m: num,
    gps_altitude_absolute_m: num,
    exposure_compensation_ev: num,
    color_mode: str,
    color_temperature_k: int,
    has_dji_metadata_track: z.boolean(),
    dji_metadata_track_types: z.array(str).max(50),
  })
  .partial()
  .strict();

export const transcriptPatchSchema = z
  .object({
    status: z.enum(['NONE', 'RUNNING', 'DONE', 'FAILED']),
    text: z.string().max(2_000_000).nullable(),
    text_preview: z.string().max(10_000).nullable(),
    language: z.string().max(50).nullable(),
    updated_at: z.iso.datetime({ offset: true }),
  })
  .partial()
  .strict();

export const derivedPatchSchema = z
  .object({
    derived_manifest: z
      .array(
        z
          .object({
            kind: z.enum(DERIVED_KINDS),
            ref: z.string().min(1).max(100),
            size_bytes: z.number().int().min(0).optional(),
            sha256: z
              .string()
              .regex(/^[0-9a-f]{64}$/)
              .optional(),
          })
          .strict(),
      )
      .max(100),
  })
  .partial()
  .strict();

const extras = {
  warnings: z.array(z.string()).max(100).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
};
const lease = { lock_token: z.string().min(1).max(200), fencing_token: z.number().int().min(1) };

export const submitSchema = z.discriminatedUnion('job_type', [
  z
    .object({
      ...lease,
      job_type: z.literal('extract_facts'),
      result: z.object({ facts_patch: factsPatchSchema, ...extras }).strict(),
    })
    .strict(),
  z
    .object({
      ...lease,
      job_type: z.enum(['generate_preview', 'generate_thumbnails', 'generate_audio_waveform']),
      result: z.object({ derived_patch: derivedPatchSchema, ...extras }).strict(),
    })
    .strict(),
  z
    .object({
      ...lease,
      job_type: z.literal('transcribe_audio'),
      result: z.object({ transcript_patch: transcriptPatchSchema, ...extras }).strict(),
    })
    .strict(),
]);
export type SubmitBody = z.output<typeof submitSchema>;

export const leaseSchema = z.object(lease).strict();
export const failSchema = z
  .object({
    ...lease,
    error_code: z.string().min(1).max(200),
    message: z.string().max(4000).optional(),
    retryable: z.boolean(),
  })
  .strict();
