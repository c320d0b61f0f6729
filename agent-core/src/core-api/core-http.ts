// How the agent's calls to Core travel (got), under CoreClient's endpoints (core-client.ts).
// Every agent write is signed with a fresh nonce, timestamp and signature per HTTP attempt while
// the Idempotency-Key stays the same for the logical call. 429 / 5xx / network errors are retried
// with exponential full-jitter backoff (docs/protocol.md#the-agent-loop). One bearer token per
// process, minted lazily and shared; re-minted only on expiry or 401. No secret (secret_key, access_token, private key) is ever put into a log line.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Readable } from 'node:stream';
import got, { RequestError, type Method } from 'got';
import { isErrorResponse, type ClientTokenResponse, type RequestSigner } from '@retaia/protocol';
import { Backoff, parseRetryAfter, sleep, type BackoffOptions } from './backoff.js';
import { CoreTrust, describeTlsFailure } from './core-tls.js';
import {
  AuthRequiredError,
  CoreApiError,
  CoreUnreachableError,
  LeaseLostError,
  RequestAbortedError,
} from './core-api-errors.js';

export interface CoreClientLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/**
 * The logger Core calls made inside `fn` log with, instead of the client's own: a job runs its
 * Core calls (heartbeats, uploads, submit) inside this, so retry warnings carry its job_id and
 * asset_uuid. AsyncLocalStorage reaches timers and callbacks started within `fn` too.
 */
const callLogger = new AsyncLocalStorage<CoreClientLogger>();
export function withCoreCallLogger<T>(logger: CoreClientLogger, fn: () => T): T {
  return callLogger.run(logger, fn);
}

export interface CoreCredentials {
  clientId: string;
  secretKey: string;
}

export interface CoreClientOptions {
  /** Base URL ending in /api/v1 (as normalised by the config schema). */
  baseUrl: string;
  signer?: RequestSigner;
  /** Where the enrolment credentials come from (read lazily, at token mint time). */
  credentials?: () => Promise<CoreCredentials | undefined>;
  backoff?: BackoffOptions;
  /** Attempts per logical call for retryable failures (default 5). */
  maxAttempts?: number;
  /** Per-attempt timeout (default 30 s). */
  requestTimeoutMs?: number;
  logger?: CoreClientLogger;
  /** Called with every attempt's outcome: reachable (any HTTP answer) or not (network error). */
  onConnectivity?: (reachable: boolean, error?: string) => void;
  /** Called when the credentials are refused (re-enrolment needed). */
  onAuthRejected?: (message: string) => void;
  /**
   * HTTPS trust: extra CA file and where the certificate pin is kept (see core-tls.ts). Without
   * it only the system roots are trusted and nothing is pinned.
   */
  tls?: { caFile?: string | undefined; dataDir?: string | undefined };
}

/** A streamed body, signed by its digest (multipart parts). `open` is called per attempt. */
export interface StreamBody {
  contentType: string;
  length: number;
  sha256: string;
  open(): Readable;
}

export interface CallOptions {
  method: Method;
  /** Path below the base URL, e.g. `/jobs/abc/claim`. */
  path: string;
  json?: unknown;
  stream?: StreamBody;
  bearer?: boolean;
  signed?: boolean;
  idempotencyKey?: string;
  ifMatch?: string;
  signal?: AbortSignal;
  maxAttempts?: number;
  /** When false a 429 is thrown at once (the device flow handles SLOW_DOWN itself). */
  retryOn429?: boolean;
  query?: Record<string, string>;
}

export interface CoreResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

interface TokenState {
  token: string;
  expiresAt: number;
}

export class CoreHttp {
  private logger(): CoreClientLogger | undefined {
    return callLogger.getStore() ?? this.opts.logger;
  }

  readonly baseUrl: string;
  private readonly basePath: string;
  signer: RequestSigner | undefined;
  private readonly backoff: Backoff;
  private token?: TokenState;
  private minting?: Promise<TokenState>;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  /** How many tokens this process minted (tests check "one per process"). */
  tokensMinted = 0;
  private trustState?: CoreTrust;

  constructor(private readonly opts: CoreClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.basePath = new URL(this.baseUrl).pathname;
    this.signer = opts.signer;
    this.backoff = new Backoff(opts.backoff);
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  // ---------- transport ----------

  /** The HTTPS trust for this Core (built on first use, so a bad CA file fails each call). */
  trust(): CoreTrust | undefined {
    if (!this.baseUrl.startsWith('https:')) return undefined;
    this.trustState ??= new CoreTrust({ coreUrl: this.baseUrl, ...this.opts.tls });
    return this.trustState;
  }

  async call<T>(o: CallOptions): Promise<CoreResponse<T>> {
    const maxAttempts = o.maxAttempts ?? this.maxAttempts;
    const bodyBytes =
      o.json === undefined ? undefined : Buffer.from(JSON.stringify(o.json), 'utf8');
    const fullPath = `${this.basePath}${o.path}`;
    let reauthed = false;
    for (let attempt = 1; ; attempt++) {
      if (o.signal?.aborted) throw new RequestAbortedError(o.signal.reason);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (bodyBytes) headers['content-type'] = 'application/json';
      if (o.stream) {
        headers['content-type'] = o.stream.contentType;
        headers['content-length'] = String(o.stream.length);
      }
      if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
      if (o.ifMatch) headers['if-match'] = o.ifMatch;
      let usedToken: string | undefined;
      if (o.bearer) {
        usedToken = (await this.accessToken(o.signal)).token;
        headers.authorization = `Bearer ${usedToken}`;
      }
      if (o.signed) {
        if (!this.signer)
          throw new Error('no signing key loaded: the agent identity must be loaded first');
        // Fresh nonce + timestamp + signature for every attempt (replays are refused).
        Object.assign(
          headers,
          o.stream
            ? await this.signer.headersForDigest(o.method, fullPath, o.stream.sha256)
            : await this.signer.headersFor(o.method, fullPath, bodyBytes ?? ''),
        );
      }
      let status: number;
      let resHeaders: CoreResponse<T>['headers'];
      let raw: Buffer;
      const https = this.trust()?.httpsOptions();
      try {
        const res = await got(`${this.baseUrl}${o.path}`, {
          method: o.method,
          headers,
          body: o.stream ? o.stream.open() : bodyBytes,
          searchParams: o.query,
          throwHttpErrors: false,
          retry: { limit: 0 },
          followRedirect: false,
          responseType: 'buffer',
          timeout: { request: this.timeoutMs },
          signal: o.signal,
          ...(https ? { https } : {}),
        });
        status = res.statusCode;
        resHeaders = res.headers;
        raw = res.body;
      } catch (err) {
        if (o.signal?.aborted) throw new RequestAbortedError(o.signal.reason);
        // An untrusted or changed certificate is not an outage: retrying cannot fix it.
        const certificateProblem = describeTlsFailure(err, {
          coreUrl: this.baseUrl,
          caFile: this.opts.tls?.caFile,
        });
        if (certificateProblem) {
          this.opts.onConnectivity?.(false, certificateProblem.message);
          throw certificateProblem;
        }
        const code = (err as RequestError).code;
        const isNetwork =
          err instanceof RequestError &&
          (NETWORK_CODES.has(code) || err.name === 'TimeoutError' || !err.response);
        if (!isNetwork) throw err;
        const message = `${o.method} ${o.path}: ${code ?? (err as Error).message}`;
        this.opts.onConnectivity?.(false, message);
        if (attempt >= maxAttempts) {
          throw new CoreUnreachableError(
            `Core unreachable at ${this.baseUrl} (${message}); will retry later`,
            { cause: err },
          );
        }
        const delay = this.backoff.nextDelayMs();
        this.logger()?.warn(
          { path: o.path, attempt, delay_ms: delay, error: code },
          'network error, backing off',
        );
        await this.wait(delay, o.signal);
        continue;
      }
      this.opts.onConnectivity?.(true);
      const body = parseBody(raw, str(resHeaders['content-type']));
      if (status >= 200 && status < 300) {
        this.backoff.reset();
        return { status, headers: resHeaders, body: body as T };
      }
      const err = isErrorResponse(body) ? body : undefined;
      const code = err?.code ?? 'HTTP_ERROR';
      const message = err?.message ?? `HTTP ${status}`;
      if (status === 429 || status >= 500) {
        if (status === 429 && o.retryOn429 === false) {
          throw new CoreApiError(status, code, message, true, {
            retry_after_ms: parseRetryAfter(str(resHeaders['retry-after'])),
          });
        }
        if (attempt >= maxAttempts) {
          throw new CoreApiError(
            status,
            code,
            `${o.method} ${o.path}: ${message} (gave up after ${attempt} attempts)`,
            true,
          );
        }
        const delay = this.backoff.nextDelayMs(parseRetryAfter(str(resHeaders['retry-after'])));
        this.logger()?.warn(
          { path: o.path, status, code, attempt, delay_ms: delay },
          'Core asked to slow down or failed, backing off',
        );
        await this.wait(delay, o.signal);
        continue;
      }
      this.backoff.reset();
      if (status === 401 && o.bearer && !reauthed) {
        // The one active token may have been revoked or replaced: mint again, once.
        reauthed = true;
        this.invalidateToken(usedToken);
        continue;
      }
      if (status === 401 && o.bearer) {
        this.opts.onAuthRejected?.(message);
        throw new AuthRequiredError(
          `Core refused this agent's credentials (${message}): enrol again with "retaia-agent enrol"`,
        );
      }
      if (status === 423 || (status === 409 && code === 'STALE_LOCK_TOKEN')) {
        throw new LeaseLostError(
          status,
          code,
          `${o.method} ${o.path}: lease lost (${code}: ${message})`,
        );
      }
      throw new CoreApiError(
        status,
        code,
        `${o.method} ${o.path}: ${message}`,
        err?.retryable ?? false,
        err?.details,
      );
    }
  }

  private async wait(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch {
      throw new RequestAbortedError(signal?.reason);
    }
  }

  // ---------- token (one per process) ----------

  private async accessToken(signal?: AbortSignal): Promise<TokenState> {
    if (this.token && this.token.expiresAt > Date.now() + 60_000) return this.token;
    this.minting ??= this.mintToken(signal).finally(() => {
      this.minting = undefined;
    });
    this.token = await this.minting;
    return this.token;
  }

  private invalidateToken(token: string | undefined): void {
    if (token && this.token?.token === token) this.token = undefined;
  }

  /** Drops the cached token (new credentials after enrolment). */
  resetToken(): void {
    this.token = undefined;
  }

  private async mintToken(signal?: AbortSignal): Promise<TokenState> {
    const creds = await this.opts.credentials?.();
    if (!creds) throw new AuthRequiredError('this agent is not enrolled: run "retaia-agent enrol"');
    let res: CoreResponse<ClientTokenResponse>;
    try {
      res = await this.call<ClientTokenResponse>({
        method: 'POST',
        path: '/auth/clients/token',
        json: { client_id: creds.clientId, client_kind: 'AGENT', secret_key: creds.secretKey },
        signal,
      });
    } catch (err) {
      if (err instanceof CoreApiError && (err.status === 401 || err.status === 403)) {
        this.opts.onAuthRejected?.(err.message);
        throw new AuthRequiredError(
          `Core refused the client credentials (${err.code}): enrol again with "retaia-agent enrol"`,
        );
      }
      throw err;
    }
    this.tokensMinted += 1;
    const ttlMs = (res.body.expires_in ?? 24 * 3600) * 1000;
    return { token: res.body.access_token, expiresAt: Date.now() + ttlMs };
  }
}

export function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType?.includes('json') || /^[[{]/.test(text.trimStart())) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
