// Writes a syntactically valid whisper.cpp ggml model with RANDOM weights (tiny layer counts,
// narrow width), in whisper.cpp's ggml file layout (magic, hyper-parameters, mel filters,
// vocabulary, named tensors), with no numpy/python. Only for exercising load → decode → transcribe plumbing offline: the text it
// produces is meaningless. Deterministic for a given seed.
import { open } from 'node:fs/promises';

const GGML_MAGIC = 0x67676d6c;

export interface RandomWhisperModelOptions {
  seed?: number;
  /** Width of the audio and text transformer (the reference uses 64). */
  state?: number;
  layers?: number;
}

/** mulberry32: tiny, fast, seedable; quality is irrelevant for random test weights. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalSource(seed: number): (sigma: number) => number {
  const u = mulberry32(seed);
  return (sigma) => {
    // Box–Muller; 1 - u() keeps the log argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    return sigma * r * Math.cos(2 * Math.PI * u());
  };
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE 754 float32 → binary16 bits (round-to-nearest, enough for small random weights). */
function toHalf(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000) >>> 13);
  }
  if (exp >= 0x1f) return sign | 0x7c00;
  return (sign | (exp << 10) | (mant >>> 13)) + ((mant >>> 12) & 1);
}

/** Generates the model into `path` (overwrites). Returns its size in bytes. */
export async function writeRandomWhisperModel(
  path: string,
  opts: RandomWhisperModelOptions = {},
): Promise<number> {
  const S = opts.state ?? 64;
  const T = S;
  const L = opts.layers ?? 4;
  const M = 80;
  const nVocab = 51864;
  const normal = normalSource(opts.seed ?? 0);
  const file = await open(path, 'w');
  let written = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const push = async (b: Buffer) => {
    pending.push(b);
    pendingBytes += b.length;
    if (pendingBytes >= 1 << 20) await flush();
  };
  const flush = async () => {
    if (pendingBytes === 0) return;
    const all = Buffer.concat(pending, pendingBytes);
    await file.write(all);
    written += all.length;
    pending = [];
    pendingBytes = 0;
  };
  const ints = (...values: number[]) => {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => b.writeInt32LE(v, i * 4));
    return b;
  };

  try {
    // Header: magic, hyper-parameters in whisper.cpp's order, ftype 1 (f16).
    await push(ints(GGML_MAGIC, nVocab, 1500, S, 2, L, 448, T, 2, L, M, 1));

    // Mel filterbank: n_mel × n_fft float32.
    const filters = Buffer.alloc(M * 201 * 4);
    for (let i = 0; i < M * 201; i++) filters.writeFloatLE(Math.abs(normal(0.01)), i * 4);
    await push(ints(M, 201));
    await push(filters);

    // Vocabulary (whisper.cpp pads the rest up to n_vocab with special tokens itself).
    const special = [
      ' ',
      ' -',
      " '",
      'hello',
      ' world',
      ' this',
      ' is',
      ' a',
      ' test',
      ' of',
      ' the',
      ' agent',
    ];
    const nTok = 50256;
    await push(ints(nTok));
    for (let i = 0; i < nTok; i++) {
      const word = Buffer.from(i < special.length ? special[i]! : ` w${i}`, 'utf8');
      await push(ints(word.length));
      await push(word);
    }

    // Tensors: n_dims, name length, type (0 f32, 1 f16), dims innermost first, name, data.
    const tensor = async (name: string, shape: number[], forceF32 = false) => {
      const parts = name.split('.');
      const isBias = name.endsWith('.bias');
      const isNorm = (parts[parts.length - 2] ?? '').includes('ln');
      const f32 = forceF32 || shape.length < 2;
      const count = shape.reduce((a, b) => a * b, 1);
      const nameBytes = Buffer.from(name, 'utf8');
      await push(ints(shape.length, nameBytes.length, f32 ? 0 : 1, ...[...shape].reverse()));
      await push(nameBytes);
      const data = Buffer.alloc(count * (f32 ? 4 : 2));
      for (let i = 0; i < count; i++) {
        const v = isBias ? 0 : isNorm ? 1 : normal(0.02);
        if (f32) data.writeFloatLE(v, i * 4);
        else data.writeUInt16LE(toHalf(v), i * 2);
      }
      await push(data);
    };
    const block = async (prefix: string, s: number, cross: boolean) => {
      const attention = async (kind: string) => {
        await tensor(`${prefix}${kind}_ln.weight`, [s]);
        await tensor(`${prefix}${kind}_ln.bias`, [s]);
        for (const q of ['query', 'key', 'value', 'out']) {
          await tensor(`${prefix}${kind}.${q}.weight`, [s, s]);
          if (q !== 'key') await tensor(`${prefix}${kind}.${q}.bias`, [s]);
        }
      };
      await attention('attn');
      if (cross) await attention('cross_attn');
      await tensor(`${prefix}mlp_ln.weight`, [s]);
      await tensor(`${prefix}mlp_ln.bias`, [s]);
      await tensor(`${prefix}mlp.0.weight`, [4 * s, s]);
      await tensor(`${prefix}mlp.0.bias`, [4 * s]);
      await tensor(`${prefix}mlp.2.weight`, [s, 4 * s]);
      await tensor(`${prefix}mlp.2.bias`, [s]);
    };

    await tensor('encoder.positional_embedding', [1500, S], true);
    await tensor('encoder.conv1.weight', [S, M, 3]);
    await tensor('encoder.conv1.bias', [S, 1], true);
    await tensor('encoder.conv2.weight', [S, S, 3]);
    await tensor('encoder.conv2.bias', [S, 1], true);
    for (let i = 0; i < L; i++) await block(`encoder.blocks.${i}.`, S, false);
    await tensor('encoder.ln_post.weight', [S]);
    await tensor('encoder.ln_post.bias', [S]);
    await tensor('decoder.positional_embedding', [448, T], true);
    await tensor('decoder.token_embedding.weight', [nVocab, T]);
    for (let i = 0; i < L; i++) await block(`decoder.blocks.${i}.`, T, true);
    await tensor('decoder.ln.weight', [T]);
    await tensor('decoder.ln.bias', [T]);
    await flush();
  } finally {
    await file.close();
  }
  return written;
}
