// Messages between the image worker pool (main thread) and image-worker.ts.

export type WorkerRequest =
  | { id: number; op: 'heif-decode'; path: string; pixels: boolean }
  | { id: number; op: 'embedded-jpeg'; path: string; maxFileBytes: number };

export interface HeifDecodeResult {
  width: number;
  height: number;
  /** Top-level images libheif found (bursts/collections > 1). */
  imageCount: number;
  hasAlpha: boolean;
  /** Interleaved 8-bit RGBA, display-oriented; only when `pixels` was asked. */
  rgba?: ArrayBuffer;
}

export interface EmbeddedJpegResult {
  jpeg?: ArrayBuffer;
}

export type WorkerReply =
  | { id: number; ok: true; result: HeifDecodeResult | EmbeddedJpegResult }
  | { id: number; ok: false; error: { code: string; message: string; retryable: boolean } };
