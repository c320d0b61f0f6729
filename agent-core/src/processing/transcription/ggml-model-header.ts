// Reads and sanity-checks the header of a whisper.cpp ggml model file, so a wrong file (a GGUF
// LLM, a PyTorch checkpoint, a truncated download renamed to .bin) is refused with a clear message
// before the native engine ever sees it. The extension proves nothing; the magic and the
// hyper-parameters do.
import { open } from 'node:fs/promises';

export const GGML_MAGIC = 0x67676d6c; // "ggml" as a little-endian int32
const GGUF_MAGIC = 0x46554747; // "GGUF"
const HEADER_BYTES = 4 + 11 * 4 + 8;

export interface GgmlWhisperHeader {
  nVocab: number;
  nAudioCtx: number;
  nAudioState: number;
  nAudioHead: number;
  nAudioLayer: number;
  nTextCtx: number;
  nTextState: number;
  nTextHead: number;
  nTextLayer: number;
  nMels: number;
  ftype: number;
  /** tiny/base/small/medium/large from the encoder depth, or `custom`. */
  modelType: string;
  multilingual: boolean;
}

export class InvalidModelFileError extends Error {
  readonly code = 'MODEL_INVALID';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidModelFileError';
  }
}

const MODEL_TYPES: Record<number, string> = {
  4: 'tiny',
  6: 'base',
  12: 'small',
  24: 'medium',
  32: 'large',
};

/** Parses the header; throws InvalidModelFileError explaining what is wrong with the file. */
export async function readGgmlWhisperHeader(path: string): Promise<GgmlWhisperHeader> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new InvalidModelFileError(
      `cannot open model file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    const buf = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEADER_BYTES, 0);
    return parseGgmlWhisperHeader(buf.subarray(0, bytesRead), path);
  } finally {
    await handle.close();
  }
}

export function parseGgmlWhisperHeader(buf: Buffer, label = 'model file'): GgmlWhisperHeader {
  if (buf.length < 4) throw new InvalidModelFileError(`${label} is too short to be a ggml model`);
  const magic = buf.readUInt32LE(0);
  if (magic === GGUF_MAGIC) {
    throw new InvalidModelFileError(
      `${label} is a GGUF file; whisper.cpp needs a ggml whisper model (e.g. ggml-base.bin)`,
    );
  }
  if (magic !== GGML_MAGIC) {
    throw new InvalidModelFileError(
      `${label} is not a ggml whisper model (bad magic 0x${magic.toString(16)}); ` +
        'use a whisper.cpp ggml-*.bin model',
    );
  }
  if (buf.length < HEADER_BYTES) {
    throw new InvalidModelFileError(`${label} is truncated inside the ggml header`);
  }
  const at = (i: number) => buf.readInt32LE(4 + i * 4);
  const h = {
    nVocab: at(0),
    nAudioCtx: at(1),
    nAudioState: at(2),
    nAudioHead: at(3),
    nAudioLayer: at(4),
    nTextCtx: at(5),
    nTextState: at(6),
    nTextHead: at(7),
    nTextLayer: at(8),
    nMels: at(9),
    // whisper.cpp folds a quantization version into ftype as version * 1000.
    ftype: at(10) % 1000,
  };
  const melRows = buf.readInt32LE(4 + 11 * 4);
  const problems: string[] = [];
  const inRange = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) problems.push(`${name}=${v}`);
  };
  inRange('n_vocab', h.nVocab, 1000, 1_000_000);
  inRange('n_audio_ctx', h.nAudioCtx, 1, 100_000);
  inRange('n_audio_state', h.nAudioState, 1, 16_384);
  inRange('n_audio_head', h.nAudioHead, 1, 256);
  inRange('n_audio_layer', h.nAudioLayer, 1, 256);
  inRange('n_text_ctx', h.nTextCtx, 1, 100_000);
  inRange('n_text_state', h.nTextState, 1, 16_384);
  inRange('n_text_head', h.nTextHead, 1, 256);
  inRange('n_text_layer', h.nTextLayer, 1, 256);
  inRange('ftype', h.ftype, 0, 64);
  if (h.nMels !== 80 && h.nMels !== 128) problems.push(`n_mels=${h.nMels}`);
  if (h.nAudioHead > 0 && h.nAudioState % h.nAudioHead !== 0)
    problems.push('n_audio_state % n_audio_head');
  if (melRows !== h.nMels) problems.push(`mel filter rows ${melRows} ≠ n_mels`);
  if (problems.length) {
    throw new InvalidModelFileError(
      `${label} has a ggml magic but implausible whisper hyper-parameters (${problems.join(', ')}); ` +
        'it is probably not a whisper model or is corrupt',
    );
  }
  return {
    ...h,
    modelType: MODEL_TYPES[h.nAudioLayer] ?? 'custom',
    // Same rule as whisper.cpp: the English-only models have a 51864-token vocabulary.
    multilingual: h.nVocab >= 51865,
  };
}
