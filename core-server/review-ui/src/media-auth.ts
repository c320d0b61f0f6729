// How authenticated media reaches native players. Preferred: the service worker (sw.ts) adds the
// bearer to the player's own Range requests, so seeking streams from Core. Fallback when no
// service worker can run (plain-HTTP non-loopback origins are not "secure contexts"): download
// the file with the bearer into an object URL — seeking still works, but the whole file loads.
import type { ReviewApi } from './api-client.js';

export type MediaAuthMode = 'service-worker' | 'blob';

export class MediaAuth {
  mode: MediaAuthMode = 'blob';
  private objectUrls: string[] = [];

  constructor(
    private readonly api: ReviewApi,
    private readonly token: () => string | null,
  ) {}

  async init(swUrl: string): Promise<MediaAuthMode> {
    const container = navigator.serviceWorker;
    if (!window.isSecureContext || !container) return (this.mode = 'blob');
    container.addEventListener('message', (e: MessageEvent) => {
      if ((e.data as { type?: string })?.type === 'retaia-token-request') {
        e.ports[0]?.postMessage({ token: this.token() });
      }
    });
    try {
      await container.register(swUrl, { scope: './' });
      await container.ready;
      if (!container.controller) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('service worker did not take control')),
            4000,
          );
          container.addEventListener('controllerchange', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      this.mode = 'service-worker';
      this.pushToken();
    } catch (err) {
      console.warn('media falls back to full downloads:', (err as Error).message);
      this.mode = 'blob';
    }
    return this.mode;
  }

  pushToken(): void {
    navigator.serviceWorker?.controller?.postMessage({ type: 'retaia-token', token: this.token() });
  }

  /** A URL a native element can load for this derived file. */
  async src(url: string): Promise<string> {
    if (this.mode === 'service-worker') return url;
    const objectUrl = await this.api.derivedBlobUrl(url);
    this.objectUrls.push(objectUrl);
    return objectUrl;
  }

  /** Frees the previous asset's downloaded media (blob mode only). */
  release(): void {
    for (const u of this.objectUrls) URL.revokeObjectURL(u);
    this.objectUrls = [];
  }
}
