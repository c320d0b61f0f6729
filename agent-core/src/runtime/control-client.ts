// The client end of the daemon's control API, used by the CLI and by Electron main. Every
// operation of DaemonControl is installed from CONTROL_ROUTES (control-protocol.ts), so this file
// names none of them; `events()` reads the SSE stream.
//
// node:http rather than the package's got (core-api/) or fetch: the daemon listens on a Unix
// socket or a Windows named pipe, which only node:http's `socketPath` reaches without an extra
// agent; got and fetch speak TCP.
import { request, type IncomingMessage } from 'node:http';
import {
  CONTROL_METHODS,
  CONTROL_ROUTES,
  EVENTS_ROUTE,
  type ControlMethod,
  type ControlRoute,
  type DaemonControl,
  type DaemonEvent,
} from './control-protocol.js';

export class DaemonNotRunningError extends Error {
  readonly retryable = true;
  constructor(readonly endpoint: string) {
    super(
      `no retaia-agent daemon is listening on ${endpoint}: start it with "retaia-agent daemon start"`,
    );
    this.name = 'DaemonNotRunningError';
  }
}

export class ControlApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlApiError';
  }
}

/** Connection failures that mean "no daemon there", not a fault of a running one. */
const NOT_RUNNING = ['ENOENT', 'ECONNREFUSED', 'ENOTSOCK'];

// The interface half of this class: its DaemonControl methods are installed in the constructor
// from the route table, so the compiler is told about them here rather than in the class body.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface ControlClient extends Omit<DaemonControl, 'events'> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class ControlClient implements DaemonControl {
  constructor(
    readonly endpoint: string,
    private readonly timeoutMs = 30_000,
  ) {
    for (const name of CONTROL_METHODS) {
      Object.defineProperty(this, name, {
        value: (...args: unknown[]) => this.invoke(name, args),
      });
    }
  }

  private async invoke<K extends ControlMethod>(name: K, args: unknown[]): Promise<unknown> {
    const route = CONTROL_ROUTES[name] as ControlRoute<K>;
    const body = route.body
      ? (route.body as (...a: unknown[]) => Record<string, unknown>)(...args)
      : route.method === 'GET'
        ? undefined
        : {};
    const wire = await this.call(route.method, route.path, body);
    return route.fromWire ? route.fromWire(wire) : wire;
  }

  private notRunning = (err: NodeJS.ErrnoException): Error =>
    NOT_RUNNING.includes(err.code ?? '') ? new DaemonNotRunningError(this.endpoint) : err;

  private call(method: string, path: string, body?: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        {
          socketPath: this.endpoint,
          path,
          method,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {},
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            if ((res.statusCode ?? 500) >= 400) {
              reject(
                new ControlApiError(
                  res.statusCode ?? 500,
                  (json as { error?: string })?.error ?? text,
                ),
              );
            } else resolve(json);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`control API ${path} timed out`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.notRunning(err)));
      req.end(payload);
    });
  }

  /** True when a daemon answers on the endpoint. */
  async isRunning(): Promise<boolean> {
    try {
      await this.status();
      return true;
    } catch {
      return false;
    }
  }

  /** The daemon's events (the first one is always a status). Ends when `signal` aborts. */
  async *events(signal?: AbortSignal): AsyncGenerator<DaemonEvent> {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.endpoint,
          path: EVENTS_ROUTE.path,
          method: EVENTS_ROUTE.method,
          headers: { accept: 'text/event-stream' },
        },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.notRunning(err)));
      signal?.addEventListener('abort', () => req.destroy(), { once: true });
      req.end();
    });
    const onAbort = () => res.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    let buffer = '';
    try {
      for await (const chunk of res) {
        buffer += (chunk as Buffer).toString('utf8');
        let sep: number;
        while ((sep = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, sep);
          buffer = buffer.slice(sep + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (data) yield JSON.parse(data) as DaemonEvent;
        }
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      res.destroy();
    }
  }
}
