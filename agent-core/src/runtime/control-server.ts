// Serves the daemon's control API (control-protocol.ts) as HTTP over a Unix socket (a named pipe
// on Windows). Only the local user can reach it: the socket is created 0600 inside a 0700 dir.
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AgentRuntime } from './agent-runtime.js';
import type { DaemonEvents } from './daemon-events.js';
import type { PauseReason } from './control-protocol.js';

const PAUSE_REASONS: PauseReason[] = ['user', 'battery', 'quiet_hours', 'not_idle', 'shutdown'];

class BadRequest extends Error {}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new BadRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
    return value as Record<string, unknown>;
  } catch {
    throw new BadRequest('body must be a JSON object');
  }
}

function pauseReason(body: Record<string, unknown>): PauseReason {
  if (body.reason === undefined) return 'user';
  if (!PAUSE_REASONS.includes(body.reason as PauseReason)) {
    throw new BadRequest(`reason must be one of ${PAUSE_REASONS.join(', ')}`);
  }
  return body.reason as PauseReason;
}

export interface ControlServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startControlServer(
  endpoint: string,
  runtime: AgentRuntime,
  events: DaemonEvents,
  onShutdown: () => void,
): Promise<ControlServer> {
  const sseClients = new Set<ServerResponse>();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    switch (route) {
      case 'GET /v1/status':
        return send(res, 200, runtime.status());
      case 'GET /v1/jobs':
        return send(res, 200, runtime.jobs());
      case 'POST /v1/pause':
        return send(res, 200, runtime.pause(pauseReason(await readJson(req))));
      case 'POST /v1/resume':
        return send(res, 200, runtime.resume(pauseReason(await readJson(req))));
      case 'POST /v1/refresh':
        return send(res, 200, await runtime.refresh());
      case 'POST /v1/capabilities/refresh':
        return send(res, 200, await runtime.refreshCapabilities());
      case 'GET /v1/models':
        return send(res, 200, await runtime.models());
      case 'GET /v1/config':
        return send(res, 200, runtime.configView());
      case 'POST /v1/config/validate':
        return send(res, 200, runtime.validateConfig((await readJson(req)).config));
      case 'PUT /v1/config':
        return send(res, 200, await runtime.putConfig((await readJson(req)).config));
      case 'POST /v1/mounts/validate': {
        const body = await readJson(req);
        if (typeof body.storage_id !== 'string' || typeof body.path !== 'string') {
          throw new BadRequest('body must be {"storage_id": string, "path": string}');
        }
        return send(res, 200, await runtime.validateMount(body.storage_id, body.path));
      }
      case 'POST /v1/enrol': {
        const body = await readJson(req);
        const label = typeof body.client_label === 'string' ? body.client_label : undefined;
        return send(res, 200, await runtime.startEnrolment(label));
      }
      case 'GET /v1/enrol':
        return send(res, 200, runtime.enrolmentView());
      case 'POST /v1/enrol/cancel':
        return send(res, 200, runtime.cancelEnrolment());
      case 'GET /v1/diagnostics':
        return send(res, 200, { text: await runtime.diagnostics() });
      case 'GET /v1/events': {
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
        return;
      }
      case 'POST /v1/shutdown':
        send(res, 200, { ok: true });
        setImmediate(onShutdown);
        return;
      default:
        return send(res, 404, { error: `no route ${route}` });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (res.headersSent) return res.end();
      send(res, err instanceof BadRequest ? 400 : 500, { error: err.message });
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      if (process.platform !== 'win32') await unlink(endpoint).catch(() => undefined);
    },
  };
}
