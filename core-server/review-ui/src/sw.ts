// Service worker: adds the user bearer to the browser's own requests for derived media, so a
// native <video>/<audio>/<img> can stream previews with Range requests (seeking) from endpoints
// that require `Authorization: Bearer`. Only derived GETs of the same origin are touched.
interface SwClient {
  postMessage(message: unknown, transfer: Transferable[]): void;
}
interface SwFetchEvent extends Event {
  request: Request;
  clientId: string;
  respondWith(response: Promise<Response>): void;
}
interface SwExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface SwScope {
  location: Location;
  clients: { claim(): Promise<void>; get(id: string): Promise<SwClient | undefined> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (e: SwExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: SwFetchEvent) => void): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
}

const sw = self as unknown as SwScope;
const DERIVED = /^\/api\/v1\/assets\/[^/]+\/derived\/[^/]+(\/.*)?$/;
let token: string | null = null;

sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));
sw.addEventListener('message', (e) => {
  const data = e.data as { type?: string; token?: string | null };
  if (data?.type === 'retaia-token') token = data.token ?? null;
});

/** A restarted worker has lost its memory: ask the page that made the request. */
async function tokenFor(clientId: string): Promise<string | null> {
  if (token) return token;
  const client = clientId ? await sw.clients.get(clientId) : undefined;
  if (!client) return null;
  const channel = new MessageChannel();
  const reply = new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 2000);
    channel.port1.onmessage = (m) => {
      clearTimeout(timer);
      resolve((m.data as { token?: string | null }).token ?? null);
    };
  });
  client.postMessage({ type: 'retaia-token-request' }, [channel.port2]);
  token = await reply;
  return token;
}

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== sw.location.origin || !DERIVED.test(url.pathname)) {
    return;
  }
  if (req.headers.has('Authorization')) return;
  event.respondWith(
    (async () => {
      const bearer = await tokenFor(event.clientId);
      const headers = new Headers();
      if (bearer) headers.set('Authorization', `Bearer ${bearer}`);
      const range = req.headers.get('Range');
      if (range) headers.set('Range', range);
      // Media elements issue no-cors requests, which would drop Authorization: re-issue the
      // request as a same-origin one instead of cloning it.
      return fetch(req.url, {
        headers,
        mode: 'same-origin',
        credentials: 'omit',
        cache: 'no-store',
      });
    })(),
  );
});
