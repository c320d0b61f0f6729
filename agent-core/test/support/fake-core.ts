// A small in-process stand-in for Core used by agent-core's unit tests (the real core-server is
// used by the integration tests). It verifies every signed write for real, keeps leases, and can
// inject faults: 429s, dropped connections, stolen leases.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  buildSigningText,
  readAgentPublicKey,
  verifyDetachedSignature,
  SIGNATURE_HEADERS,
  type ClaimedJob,
  type Job,
  type ServerPolicy,
} from '@retaia/protocol';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface FakeJobState {
  job: Job;
  lockToken?: string;
  fencing: number;
  lockedUntil?: number;
  submitted?: unknown;
  failed?: unknown;
}

export class FakeCore {
  private server?: Server;
  url = '';
  readonly requests: RecordedRequest[] = [];
  readonly jobs = new Map<string, FakeJobState>();
  readonly tokens = new Set<string>();
  readonly secrets = new Map<string, string>();
  readonly agentKeys = new Map<string, Awaited<ReturnType<typeof readAgentPublicKey>>>();
  readonly nonces = new Set<string>();
  readonly uploads = new Map<
    string,
    { parts: Map<number, Buffer>; completed: boolean; init: unknown }
  >();
  leaseTtlMs = 2000;
  policy: ServerPolicy = {
    feature_flags: {},
    feature_flags_contract_version: '1.0.0',
    effective_feature_flags_contract_version: '1.0.0',
    accepted_feature_flags_contract_versions: ['1.0.0'],
    feature_flags_compatibility_mode: 'STRICT',
  };
  /** Fault injection: path substring → remaining count. */
  fail429 = new Map<string, { count: number; retryAfter?: string }>();
  dropConnection = new Map<string, number>();
  /** Requests whose path contains one of these are read and never answered (a wedged Core). */
  neverAnswer = new Set<string>();
  deviceApproved = false;
  deviceInterval = 1;
  signatureFailures = 0;
  assetEtag = '"rev-1"';
  maxPartSize = 64 * 1024;

  addClient(
    clientId = 'client-1',
    secret = 'sk-test-secret',
  ): { clientId: string; secretKey: string } {
    this.secrets.set(clientId, secret);
    return { clientId, secretKey: secret };
  }

  addJob(partial: Partial<Job> & { job_type: Job['job_type']; source: Job['source'] }): Job {
    const job: Job = {
      job_id: randomUUID(),
      status: 'pending',
      asset_uuid: randomUUID(),
      required_capabilities: ['media.facts@1'],
      ...partial,
    };
    this.jobs.set(job.job_id, { job, fencing: 0 });
    return job;
  }

  /** Another agent takes the job: the current lease becomes stale. */
  stealLease(jobId: string): void {
    const st = this.jobs.get(jobId);
    if (!st) return;
    st.lockToken = randomUUID();
    st.fencing += 1;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((err: Error) =>
        this.send(res, 500, {
          code: 'TEMPORARY_UNAVAILABLE',
          message: err.message,
          retryable: true,
          correlation_id: 'x',
        }),
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  private send(
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: string, message = code): void {
    this.send(res, status, {
      code,
      message,
      retryable: status >= 500 || status === 429,
      correlation_id: randomUUID(),
    });
  }

  private async verify(req: IncomingMessage, path: string, body: Buffer): Promise<boolean> {
    const agentId = req.headers[SIGNATURE_HEADERS.agentId] as string;
    const nonce = req.headers[SIGNATURE_HEADERS.nonce] as string;
    const timestamp = req.headers[SIGNATURE_HEADERS.timestamp] as string;
    const signature = req.headers[SIGNATURE_HEADERS.signature] as string;
    if (!agentId || !nonce || !timestamp || !signature) return false;
    if (this.nonces.has(nonce)) return false;
    const key = this.agentKeys.get(agentId);
    if (!key) return false;
    const text = buildSigningText({ method: req.method!, path, agentId, timestamp, nonce, body });
    if (!(await verifyDetachedSignature(key.key, text, signature))) return false;
    this.nonces.add(nonce);
    return true;
  }

  private lease(
    res: ServerResponse,
    st: FakeJobState,
    body: { lock_token?: string; fencing_token?: number },
  ): boolean {
    if (!body.lock_token || !st.lockToken) {
      this.error(res, 423, 'LOCK_REQUIRED');
      return false;
    }
    if (body.lock_token !== st.lockToken || body.fencing_token !== st.fencing) {
      this.error(res, 409, 'STALE_LOCK_TOKEN');
      return false;
    }
    if (st.lockedUntil !== undefined && Date.now() > st.lockedUntil) {
      this.error(res, 423, 'LOCK_INVALID', 'lease expired');
      return false;
    }
    return true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url!, 'http://x');
    const path = url.pathname;
    this.requests.push({ method: req.method!, path, headers: req.headers, body: raw });
    if ([...this.neverAnswer].some((frag) => path.includes(frag))) return;
    for (const [frag, left] of this.dropConnection) {
      if (path.includes(frag) && left > 0) {
        this.dropConnection.set(frag, left - 1);
        req.socket.destroy();
        return;
      }
    }
    for (const [frag, f] of this.fail429) {
      if (path.includes(frag) && f.count > 0) {
        f.count -= 1;
        res.writeHead(429, {
          'content-type': 'application/json',
          ...(f.retryAfter ? { 'retry-after': f.retryAfter } : {}),
        });
        res.end(
          JSON.stringify({
            code: 'SLOW_DOWN',
            message: 'slow down',
            retryable: true,
            correlation_id: 'c',
          }),
        );
        return;
      }
    }
    const json = (): Record<string, unknown> =>
      raw.length && !String(req.headers['content-type']).startsWith('multipart')
        ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>)
        : {};
    const route = `${req.method} ${path.replace(/^\/api\/v1/, '')}`;

    if (route === 'POST /auth/clients/device/start') {
      return this.send(res, 200, {
        device_code: 'dev-1',
        user_code: 'ABCD-EFGH',
        verification_uri: `${this.url}/device`,
        verification_uri_complete: `${this.url}/device?code=ABCD-EFGH`,
        expires_in: 60,
        interval: this.deviceInterval,
      });
    }
    if (route === 'POST /auth/clients/device/poll') {
      if (!this.deviceApproved) return this.send(res, 200, { status: 'PENDING' });
      const creds = this.addClient('client-enrolled', 'sk-enrolled-secret');
      return this.send(res, 200, {
        status: 'APPROVED',
        client_id: creds.clientId,
        client_kind: 'AGENT',
        secret_key: creds.secretKey,
        approved_at: new Date().toISOString(),
        approved_by_user_id: 'u1',
      });
    }
    if (route === 'POST /auth/clients/device/cancel')
      return this.send(res, 200, { canceled: true });
    if (route === 'POST /auth/clients/token') {
      const b = json();
      if (this.secrets.get(b.client_id as string) !== b.secret_key)
        return this.error(res, 401, 'UNAUTHORIZED');
      const token = `tok-${randomUUID()}`;
      this.tokens.clear(); // one active token per client
      this.tokens.add(token);
      return this.send(res, 200, {
        client_id: b.client_id,
        client_kind: 'AGENT',
        access_token: token,
        token_type: 'Bearer',
        expires_in: 86400,
      });
    }
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    if (!auth || !this.tokens.has(auth)) return this.error(res, 401, 'UNAUTHORIZED');

    if (route === 'POST /agents/register') {
      const b = json();
      this.agentKeys.set(
        b.agent_id as string,
        await readAgentPublicKey(b.openpgp_public_key as string),
      );
      if (!(await this.verify(req, path, raw))) {
        this.signatureFailures++;
        return this.error(res, 401, 'UNAUTHORIZED', 'bad signature');
      }
      return this.send(res, 200, {
        agent_id: b.agent_id,
        effective_capabilities: b.capabilities,
        capability_warnings: [],
        server_policy: this.policy,
      });
    }
    if (route === 'GET /app/policy') return this.send(res, 200, { server_policy: this.policy });
    if (route === 'GET /jobs') {
      return this.send(
        res,
        200,
        [...this.jobs.values()]
          .filter(
            (s) =>
              s.job.status === 'pending' ||
              (s.job.status === 'claimed' && s.lockedUntil! < Date.now()),
          )
          .map((s) => s.job),
      );
    }
    const assetMatch = /^GET \/assets\/([^/]+)$/.exec(route);
    if (assetMatch)
      return this.send(res, 200, { summary: { uuid: assetMatch[1] } }, { etag: this.assetEtag });

    const signedMatch =
      /^POST (\/jobs\/([^/]+)\/(claim|heartbeat|submit|fail)|\/assets\/([^/]+)\/derived\/upload\/(init|part|complete))$/.exec(
        route,
      );
    if (!signedMatch) return this.error(res, 404, 'VALIDATION_FAILED', `no route ${route}`);
    if (!(await this.verify(req, path, raw))) {
      this.signatureFailures++;
      return this.error(res, 401, 'UNAUTHORIZED', 'bad signature');
    }
    if (signedMatch[2]) {
      const st = this.jobs.get(signedMatch[2]);
      if (!st) return this.error(res, 404, 'VALIDATION_FAILED', 'no job');
      const action = signedMatch[3];
      if (action === 'claim') {
        const expired = st.job.status === 'claimed' && st.lockedUntil! < Date.now();
        if (st.job.status !== 'pending' && !expired) return this.error(res, 409, 'STATE_CONFLICT');
        st.job.status = 'claimed';
        st.lockToken = randomUUID();
        st.fencing += 1;
        st.lockedUntil = Date.now() + this.leaseTtlMs;
        const claimed: ClaimedJob = {
          ...st.job,
          lock_token: st.lockToken,
          fencing_token: st.fencing,
          locked_until: new Date(st.lockedUntil).toISOString(),
        };
        return this.send(res, 200, claimed);
      }
      const b = json() as { lock_token?: string; fencing_token?: number };
      if (!this.lease(res, st, b)) return;
      if (action === 'heartbeat') {
        st.lockedUntil = Date.now() + this.leaseTtlMs;
        return this.send(res, 200, {
          locked_until: new Date(st.lockedUntil).toISOString(),
          fencing_token: st.fencing,
        });
      }
      if (action === 'submit') {
        st.job.status = 'completed';
        st.submitted = b;
        return this.send(res, 200, {});
      }
      st.failed = b;
      st.job.status = (b as { retryable?: boolean }).retryable ? 'pending' : 'failed';
      st.lockToken = undefined;
      return this.send(res, 200, {});
    }
    if (req.headers['if-match'] !== this.assetEtag)
      return this.error(res, 412, 'PRECONDITION_FAILED');
    const op = signedMatch[5];
    if (op === 'init') {
      const id = `up-${randomUUID()}`;
      this.uploads.set(id, { parts: new Map(), completed: false, init: json() });
      return this.send(res, 200, {
        upload_id: id,
        max_part_size_bytes: this.maxPartSize,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
      });
    }
    if (op === 'part') {
      const { fields, file } = parseMultipart(raw, String(req.headers['content-type']));
      const up = this.uploads.get(fields.upload_id ?? '');
      if (!up || !file) return this.error(res, 422, 'VALIDATION_FAILED');
      up.parts.set(Number(fields.part_number), file);
      return this.send(res, 200, { part_etag: `etag-${fields.part_number}` });
    }
    const b = json() as { upload_id: string };
    const up = this.uploads.get(b.upload_id);
    if (!up) return this.error(res, 422, 'VALIDATION_FAILED');
    up.completed = true;
    return this.send(res, 200, {});
  }

  uploadedBytes(uploadId: string): Buffer {
    const up = this.uploads.get(uploadId)!;
    return Buffer.concat([...up.parts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
  }
}

function parseMultipart(
  raw: Buffer,
  contentType: string,
): { fields: Record<string, string>; file?: Buffer } {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1] ?? '';
  const delim = Buffer.from(`--${boundary}`);
  const fields: Record<string, string> = {};
  let file: Buffer | undefined;
  let pos = raw.indexOf(delim);
  while (pos !== -1) {
    const next = raw.indexOf(delim, pos + delim.length);
    if (next === -1) break;
    const part = raw.subarray(pos + delim.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]+)"/.exec(head)?.[1] ?? '';
    if (/filename=/.test(head)) file = Buffer.from(content);
    else fields[name] = content.toString('utf8');
    pos = next;
  }
  return { fields, file };
}
