// Models a user can download from the agent's preferences or CLI. Pinned by SHA-256 (the
// download is refused unless it matches), so a changed upstream file never loads silently.
// Sizes and hashes of the official whisper.cpp ggml conversions on Hugging Face.

export interface ModelCatalogueEntry {
  /** Stable id used by the CLI and preferences, e.g. `base`. */
  name: string;
  description: string;
  url: string;
  sha256: string;
  sizeBytes: number;
}

const HF = 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main';

export const WHISPER_MODEL_CATALOGUE: readonly ModelCatalogueEntry[] = [
  {
    name: 'tiny',
    description: 'multilingual, 75 MiB, fastest, least accurate',
    url: `${HF}/ggml-tiny.bin`,
    sha256: 'be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21',
    sizeBytes: 77_691_713,
  },
  {
    name: 'base',
    description: 'multilingual, 142 MiB, good default on a laptop CPU',
    url: `${HF}/ggml-base.bin`,
    sha256: '60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe',
    sizeBytes: 147_951_465,
  },
  {
    name: 'small',
    description: 'multilingual, 466 MiB, clearly better, ~3× slower than base',
    url: `${HF}/ggml-small.bin`,
    sha256: '1be3a9b2063867b937e64e2ec7483364a79917e157fa98c5d94b5c1fffea987b',
    sizeBytes: 487_601_967,
  },
];
