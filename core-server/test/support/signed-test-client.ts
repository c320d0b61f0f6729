/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
// A small agent for tests: enrols through the real device flow, registers a real OpenPGP key
// and signs every write with RequestSigner, over real HTTP.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  API_PREFIX,
  CAPABILITIES,
  RequestSigner,
  generateAgentKey,
  type GeneratedAgentKey,
} from '@retaia/protocol';
import pino from 'pino';
import {
  startCoreServer,
  type RunningCoreServer,
  type StartCoreServerOptions,
} from '../../src/index.js';

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export const ALL_CAPABILITIES = Object.values(CAPABILITIES);

export async function http<T = any>(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Uint8Array | FormData;
  } = {},
): Promise<HttpResult<T>> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: init.headers,
    body: init.body as RequestInit['body'],
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

/** The multipart body of one upload part: fields upload_id, part_number, then file `chunk`. */
export function multipartPartBody(
  uploadId: string,
  partNumber: number | string,
  chunk: Buffer,
  opts: { extraFile?: boolean; fieldName?: string } = {},
): { body: Buffer; contentType: string } {
  const boundary = `----retaia${randomUUID()}`;
  const pieces: Buffer[] = [];
  const field = (name: string, value: string) =>
    pieces.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    );
  const file = (name: string, data: Buffer) => {
    pieces.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="chunk.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`,
      ),
    );
    pieces.push(data, Buffer.from('\r\n'));
  };
  field('upload_id', uploadId);
  field('part_number', String(partNumber));
  file(opts.fieldName ?? 'chunk', chunk);
  if (opts.extraFile) file('chunk', chunk);
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

let sharedKey: Promise<GeneratedAgentKey> | undefined;
/** Key generation is slow-ish; tests that do not care share one key (one per agent_id anyway). */
export function testKey(): Promise<GeneratedAgentKey> {
  sharedKey ??= generateAgentKey('test-agent');
  return sharedKey;
}

export class TestAgent {
  agentId = randomUUID();
  token = '';
  clientId = '';
  secretKey = '';
  signer!: RequestSigner;
  key!: GeneratedAgentKey;

  constructor(readonly server: RunningCoreServer) {}

  static async enrol(
    server: RunningCoreServer,
    opts: { capabilities?: string[]; key?: GeneratedAgentKey; register?: boolean } = {},
  ): Promise<TestAgent> {
    const a = new TestAgent(server);
    const start = await http(`${server.apiUrl}/auth/clients/device/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_kind: 'AGENT', client_label: 'test' }),
    });
    if (start.status !== 200)
      throw new Error(`device start ${start.status} ${JSON.stringify(start.body)}`);
    await server.operator.approveDevice(start.body.user_code).catch(() => undefined);
    const poll = await http(`${server.apiUrl}/auth/clients/device/poll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_code: start.body.device_code }),
    });
    if (poll.body?.status !== 'APPROVED') throw new Error(`poll: ${JSON.stringify(poll.body)}`);
    a.clientId = poll.body.client_id;
    a.secretKey = poll.body.secret_key;
    await a.mintToken();
    a.key = opts.key ?? (await testKey());
    a.signer = await RequestSigner.fromArmored(a.agentId, a.key.privateKeyArmored);
    if (opts.register !== false) {
      const r = await a.register(opts.capabilities ?? ALL_CAPABILITIES);
      if (r.status !== 200) throw new Error(`register ${r.status} ${JSON.stringify(r.body)}`);
    }
    return a;
  }

  async mintToken(): Promise<HttpResult> {
    const r = await http(`${this.server.apiUrl}/auth/clients/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: this.clientId,
        client_kind: 'AGENT',
        secret_key: this.secretKey,
      }),
    });
    if (r.status === 200) this.token = r.body.access_token;
    return r;
  }

  registerBody(capabilities: string[]) {
    return {
      agent_id: this.agentId,
      agent_name: 'test agent',
      agent_version: '0.0.1',
      openpgp_public_key: this.key.publicKeyArmored,
      openpgp_fingerprint: this.key.fingerprint,
      os_name: 'linux',
      os_version: '6.1',
      arch: 'x86_64',
      capabilities,
      max_parallel_jobs: 2,
    };
  }

  register(capabilities: string[] = ALL_CAPABILITIES) {
    return this.signed('POST', '/agents/register', this.registerBody(capabilities));
  }

  get(p: string, headers: Record<string, string> = {}) {
    return http(`${this.server.apiUrl}${p}`, {
      headers: { authorization: `Bearer ${this.token}`, ...headers },
    });
  }

  /** Signed JSON write. `tamper` lets tests break one thing at a time. */
  async signed(
    method: string,
    p: string,
    body?: unknown,
    extra: {
      headers?: Record<string, string>;
      now?: Date;
      mutateBody?: (raw: string) => string;
      signerOverride?: RequestSigner;
      omitHeader?: string;
    } = {},
  ): Promise<HttpResult> {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const signer = extra.signerOverride ?? this.signer;
    const sig = await signer.headersFor(method, `${API_PREFIX}${p}`, raw, extra.now);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      ...sig,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...extra.headers,
    };
    if (extra.omitHeader) delete headers[extra.omitHeader];
    const sent = extra.mutateBody ? extra.mutateBody(raw) : raw;
    return http(`${this.server.apiUrl}${p}`, {
      method,
      headers,
      body: body === undefined ? undefined : sent,
    });
  }

  /** Signed multipart part with exact bytes (the signature covers the raw body). */
  async uploadPart(
    uuid: string,
    uploadId: string,
    partNumber: number | string,
    chunk: Buffer,
    opts: { extraFile?: boolean; fieldName?: string } = {},
  ) {
    const { body, contentType } = multipartPartBody(uploadId, partNumber, chunk, opts);
    const p = `/assets/${uuid}/derived/upload/part`;
    const sig = await this.signer.headersFor('POST', `${API_PREFIX}${p}`, body);
    return http(`${this.server.apiUrl}${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, ...sig, 'content-type': contentType },
      body,
    });
  }

  /** init → parts → complete; returns the upload_id. */
  async upload(
    uuid: string,
    kind: string,
    contentType: string,
    data: Buffer,
    partSize = 1024,
  ): Promise<string> {
    const etag = (await this.get(`/assets/${uuid}`)).headers.get('etag')!;
    const init = await this.signed(
      'POST',
      `/assets/${uuid}/derived/upload/init`,
      {
        kind,
        content_type: contentType,
        size_bytes: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
      },
      { headers: { 'if-match': etag, 'idempotency-key': randomUUID() } },
    );
    if (init.status !== 200) throw new Error(`init ${init.status} ${JSON.stringify(init.body)}`);
    const parts = [];
    for (let i = 0, n = 1; i < data.length; i += partSize, n++) {
      const r = await this.uploadPart(uuid, init.body.upload_id, n, data.subarray(i, i + partSize));
      if (r.status !== 200) throw new Error(`part ${r.status} ${JSON.stringify(r.body)}`);
      parts.push({ part_number: n, part_etag: r.body.part_etag });
    }
    const done = await this.signed(
      'POST',
      `/assets/${uuid}/derived/upload/complete`,
      { upload_id: init.body.upload_id, parts },
      { headers: { 'idempotency-key': randomUUID() } },
    );
    if (done.status !== 200)
      throw new Error(`complete ${done.status} ${JSON.stringify(done.body)}`);
    return init.body.upload_id;
  }

  claim(jobId: string) {
    return this.signed('POST', `/jobs/${jobId}/claim`);
  }
  heartbeat(jobId: string, lock: { lock_token: string; fencing_token: number }) {
    return this.signed('POST', `/jobs/${jobId}/heartbeat`, {
      lock_token: lock.lock_token,
      fencing_token: lock.fencing_token,
    });
  }
  submit(jobId: string, body: unknown, key: string = randomUUID()) {
    return this.signed('POST', `/jobs/${jobId}/submit`, body, {
      headers: { 'idempotency-key': key },
    });
  }
  fail(jobId: string, body: unknown, key: string = randomUUID()) {
    return this.signed('POST', `/jobs/${jobId}/fail`, body, {
      headers: { 'idempotency-key': key },
    });
  }
}

export interface TestCore {
  server: RunningCoreServer;
  root: string;
  dataDir: string;
  logLines: string[];
  dispose(): Promise<void>;
}

/** A Core on a temp storage root, port 0, capturing its JSON log lines. */
export async function startTestCore(opts: Partial<StartCoreServerOptions> = {}): Promise<TestCore> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'core-server-test-'));
  const root = opts.storageRoot ?? path.join(base, 'storage');
  const dataDir = opts.dataDir ?? path.join(base, 'data');
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const server = await startCoreServer({
    storageRoot: root,
    storageId: 'nas-test',
    dataDir,
    port: 0,
    scanIntervalMs: 0,
    stabilityWindowMs: 0,
    deviceFlowIntervalSeconds: 0,
    logger,
    initStorage: true,
    ...opts,
  });
  return {
    server,
    root,
    dataDir,
    logLines,
    async dispose() {
      await server.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}
