// An operator on a test Core over real HTTP: login, requests with If-Match / Idempotency-Key,
// and the two test-only shortcuts the storage-safety tests need (discover files, force a state).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AssetState } from '@retaia/protocol';
import type { SqliteCoreStore } from '../../src/store/sqlite/sqlite-core-store.js';
import { http, type HttpResult, type TestCore } from './signed-test-client.js';

export class HumanSession {
  private constructor(
    readonly core: TestCore,
    private readonly token: string,
  ) {}

  static async open(core: TestCore): Promise<HumanSession> {
    const email = `op-${randomUUID().slice(0, 8)}@example.test`;
    await core.server.operator.addUser(email, 'pw-123456-long');
    const res = await http(`${core.server.apiUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'pw-123456-long', client_kind: 'UI_WEB' }),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return new HumanSession(core, res.body.access_token);
  }

  request(
    method: string,
    p: string,
    opts: { body?: unknown; etag?: string; key?: string } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.etag) headers['if-match'] = opts.etag;
    if (opts.key) headers['idempotency-key'] = opts.key;
    return http(`${this.core.server.apiUrl}${p}`, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
  }

  async etagOf(uuid: string): Promise<string> {
    const res = await this.request('GET', `/assets/${uuid}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.headers.get('etag')!;
  }

  /** PATCH the decision (KEEP / REJECT) like the review page does. */
  async decide(uuid: string, state: 'DECIDED_KEEP' | 'DECIDED_REJECT'): Promise<HttpResult> {
    return this.request('PATCH', `/assets/${uuid}`, {
      body: { state },
      etag: await this.etagOf(uuid),
    });
  }

  applyDecisions(uuids: string[], dryRun: boolean): Promise<HttpResult> {
    return this.request('POST', '/ops/decisions/apply', {
      body: { dry_run: dryRun, asset_uuids: uuids },
      key: randomUUID(),
    });
  }

  async purge(uuid: string): Promise<HttpResult> {
    return this.request('POST', `/assets/${uuid}/purge`, {
      body: { confirm: true },
      etag: await this.etagOf(uuid),
      key: randomUUID(),
    });
  }

  /** Writes files into INBOX and scans twice (stability window 0); relative path → uuid. */
  async discover(files: Record<string, string>): Promise<Record<string, string>> {
    for (const [name, content] of Object.entries(files)) {
      const abs = path.join(this.core.root, 'INBOX', name);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, content);
    }
    await this.core.server.scanNow();
    await this.core.server.scanNow();
    const out: Record<string, string> = {};
    for (const a of await this.core.server.operator.listAssets()) out[a.relative_path] = a.uuid;
    return out;
  }

  /** Test setup only: puts an asset in a state without running the processing pipeline. */
  forceState(uuid: string, state: AssetState): void {
    (this.core.server.context.store as SqliteCoreStore).db
      .prepare('UPDATE assets SET state = ?, revision = revision + 1 WHERE uuid = ?')
      .run(state, uuid);
  }
}
