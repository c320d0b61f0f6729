// Serves the daemon's control API (control-protocol.ts) as HTTP over a Unix socket (a named pipe
// on Windows). Only the local user can reach it: the socket is created 0600 inside a 0700 dir.
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  CONTROL_METHODS,
  CONTROL_ROUTES,
  ControlRequestError,
  EVENTS_ROUTE,
  type ControlHandlers,
  type ControlMethod,
  type ControlRoute,
  type DaemonControl,
} from './control-protocol.js';
import type { DaemonEvents } from './daemon-events.js';

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new ControlRequestError('request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
    return value as Record<string, unknown>;
  } catch {
    throw new ControlRequestError('body must be a JSON object');
  }
}

const routeKey = (method: string, path: string) => `${method} ${path}`;
const METHOD_BY_ROUTE = new Map<string, ControlMethod>(
  CONTROL_METHODS.map((name) => [
    routeKey(CONTROL_ROUTES[name].method, CONTROL_ROUTES[name].path),
    name,
  ]),
);

/** The daemon's side of the contract: everything but shutdown, which the server owns. */
export type ControlRuntime = Omit<ControlHandlers, 'shutdown'>;

export interface ControlServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startControlServer(
  endpoint: string,
  runtime: ControlRuntime,
  events: DaemonEvents,
  onShutdown: () => void,
): Promise<ControlServer> {
  const sseClients = new Set<ServerResponse>();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const call = (name: ControlMethod, args: unknown[]): unknown => {
    // Answered first; the daemon stops on the next turn of the event loop.
    if (name === 'shutdown') return void setImmediate(onShutdown);
    return (runtime[name] as (...a: unknown[]) => unknown).apply(runtime, args);
  };

  const streamEvents = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`data: ${JSON.stringify({ type: 'status', status: runtime.status() })}\n\n`);
    sseClients.add(res);
    const unsubscribe = events.subscribe((event) =>
      res.write(`data: ${JSON.stringify(event)}\n\n`),
    );
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      sseClients.delete(res);
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const route = routeKey(req.method ?? 'GET', (req.url ?? '/').split('?')[0]!);
    if (route === routeKey(EVENTS_ROUTE.method, EVENTS_ROUTE.path)) return streamEvents(req, res);
    const name = METHOD_BY_ROUTE.get(route);
    if (!name) return send(res, 404, { error: `no route ${route}` });
    return send(res, 200, await answer(call, name, req));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (res.headersSent) return res.end();
      send(res, err instanceof ControlRequestError ? 400 : 500, { error: err.message });
    });
  });

  if (process.platform !== 'win32') await unlink(endpoint).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') await chmod(endpoint, 0o600);

  return {
    endpoint,
    async close() {
      for (const res of sseClients) res.end();
      // close() waits for every open connection; a client's keep-alive socket or a request still
      // in flight would hold the daemon's stop open, so the connections go first.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      if (process.platform !== 'win32') await unlink(endpoint).catch(() => undefined);
    },
  };
}

/** Calls one operation with the arguments its route reads from the request body. */
async function answer<K extends ControlMethod>(
  call: (name: ControlMethod, args: unknown[]) => unknown,
  name: K,
  req: IncomingMessage,
): Promise<unknown> {
  const route = CONTROL_ROUTES[name] as ControlRoute<K>;
  const args = route.args ? route.args(await readJson(req)) : [];
  const result = (await call(name, args)) as Awaited<ReturnType<DaemonControl[K]>>;
  return route.toWire ? route.toWire(result) : result;
}
