// The slice of libheif-js (libheif compiled to WebAssembly, wasm embedded in the JS) that the
// image worker uses. The package ships no typings for this entry point.
declare module 'libheif-js/wasm-bundle.js' {
  interface HeifImage {
    get_width(): number;
    get_height(): number;
    is_primary(): boolean;
    has_alpha_channel(): boolean;
    /** Decodes to interleaved 8-bit RGBA, rotation/mirror (irot/imir) applied. */
    display(
      target: { data: Uint8ClampedArray; width: number; height: number },
      done: (result: { data: Uint8ClampedArray } | null) => void,
    ): void;
    free(): void;
  }
  interface HeifDecoder {
    decoder: { delete?(): void } | null;
    /** Top-level images of the file (empty when it cannot be parsed). */
    decode(buffer: Uint8Array): HeifImage[];
  }
  const libheif: { ready?: Promise<unknown>; HeifDecoder: new () => HeifDecoder };
  export default libheif;
}
