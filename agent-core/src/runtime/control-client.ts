// Typed client of the daemon's control API, used by the CLI and by Electron main. One method per
// route of control-protocol.ts, plus `events()` (async iterator over the SSE stream).
import { request } from 'node:http';
import type {
  ConfigValidation,
  ConfigView,
  DaemonEvent,
  EnrolmentView,
  JobsSnapshot,
  ModelsView,
  MountValidation,
  PauseReason,
  StatusSnapshot,
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

export class ControlClient {
  constructor(
    readonly endpoint: string,
    private readonly timeoutMs = 30_000,
  ) {}

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
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
            } else resolve(json as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`control API ${path} timed out`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(
          ['ENOENT', 'ECONNREFUSED', 'ENOTSOCK'].includes(err.code ?? '')
            ? new DaemonNotRunningError(this.endpoint)
            : err,
        );
      });
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

  status(): Promise<StatusSnapshot> {
    return this.call('GET', '/v1/status');
  }
  jobs(): Promise<JobsSnapshot> {
    return this.call('GET', '/v1/jobs');
  }
  pause(reason?: PauseReason): Promise<StatusSnapshot> {
    return this.call('POST', '/v1/pause', reason ? { reason } : {});
  }
  resume(reason?: PauseReason): Promise<StatusSnapshot> {
    return this.call('POST', '/v1/resume', reason ? { reason } : {});
  }
  refresh(): Promise<StatusSnapshot> {
    return this.call('POST', '/v1/refresh', {});
  }
  /** Re-detects capabilities (after a model or tool change) and re-registers with Core. */
  refreshCapabilities(): Promise<StatusSnapshot> {
    return this.call('POST', '/v1/capabilities/refresh', {});
  }
  models(): Promise<ModelsView> {
    return this.call('GET', '/v1/models');
  }
  getConfig(): Promise<ConfigView> {
    return this.call('GET', '/v1/config');
  }
  validateConfig(config: unknown): Promise<ConfigValidation> {
    return this.call('POST', '/v1/config/validate', { config });
  }
  putConfig(config: unknown): Promise<ConfigValidation> {
    return this.call('PUT', '/v1/config', { config });
  }
  validateMount(storageId: string, path: string): Promise<MountValidation> {
    return this.call('POST', '/v1/mounts/validate', { storage_id: storageId, path });
  }
  startEnrolment(clientLabel?: string): Promise<EnrolmentView> {
    return this.call('POST', '/v1/enrol', clientLabel ? { client_label: clientLabel } : {});
  }
  enrolment(): Promise<EnrolmentView> {
    return this.call('GET', '/v1/enrol');
  }
  cancelEnrolment(): Promise<EnrolmentView> {
    return this.call('POST', '/v1/enrol/cancel', {});
  }
  diagnostics(): Promise<{ text: string }> {
    return this.call('GET', '/v1/diagnostics');
  }
  shutdown(): Promise<{ ok: true }> {
    return this.call('POST', '/v1/shutdown', {});
  }

  /** The daemon's events (the first one is always a status). Ends when `signal` aborts. */
  async *events(signal?: AbortSignal): AsyncGenerator<DaemonEvent> {
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.endpoint,
          path: '/v1/events',
          method: 'GET',
          headers: { accept: 'text/event-stream' },
        },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          ['ENOENT', 'ECONNREFUSED'].includes(err.code ?? '')
            ? new DaemonNotRunningError(this.endpoint)
            : err,
        ),
      );
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
