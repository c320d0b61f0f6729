// The accounts half of the SQLite store: operators and their tokens, device flows, clients and
// their tokens, agents, signature nonces and security events — everything that says who may call
// Core. SqliteCoreStore extends it with assets, jobs, uploads and the moves ports, so each file
// stays one topic (docs/architecture.md).
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { CoreError, notFound } from '../../errors/core-error.js';
import type { AgentJobDigest, DeviceFlowWithRequester } from '../core-store.js';
import type { AgentRecord, ClientRecord, DeviceFlowRecord, UserRecord } from '../records.js';
import { AuthLookupCache } from './auth-lookup-cache.js';
import { unexpiredClient, type DeferredAuthChecks } from '../auth-lookup-entries.js';
import { acceptNonce } from './jobs/signed-once.js';
import { mapAgent, mapJob } from './row-mappers.js';

type Row = Record<string, unknown>;

/** Read on every unnamed poll: served by the agents_by_client index (schema v12). */
export const LATEST_AGENT_OF_CLIENT_SQL =
  'SELECT * FROM agents WHERE client_id = ? ORDER BY last_register_at DESC LIMIT 1';
const iso = (ms: number) => new Date(ms).toISOString();

export class SqliteAccountsStore {
  private readonly authLookups: AuthLookupCache;
  /** The job routes' deferred auth checks: the lookup cache itself. */
  get authChecks(): DeferredAuthChecks {
    return this.authLookups;
  }
  constructor(readonly db: Database) {
    this.authLookups = new AuthLookupCache(db);
  }

  // ---- users -------------------------------------------------------------------------------
  async addUser(email: string, passwordHash: string): Promise<UserRecord> {
    const user: UserRecord = {
      user_id: randomUUID(),
      email,
      password_hash: passwordHash,
      created_at: new Date().toISOString(),
    };
    try {
      this.db
        .prepare(
          'INSERT INTO users (user_id, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
        )
        .run(user.user_id, user.email, user.password_hash, user.created_at);
    } catch (err) {
      if (String(err).includes('UNIQUE')) {
        throw new CoreError('VALIDATION_FAILED', 422, `a user with email ${email} already exists`);
      }
      throw err;
    }
    return user;
  }
  async findUserByEmail(email: string) {
    return this.db.prepare('SELECT * FROM users WHERE email = ?').get(email) as
      UserRecord | undefined;
  }
  async saveUserToken(tokenHash: string, userId: string, expiresAtMs: number) {
    this.db
      .prepare('INSERT INTO user_tokens (token_hash, user_id, expires_at_ms) VALUES (?, ?, ?)')
      .run(tokenHash, userId, expiresAtMs);
  }
  async findUserByToken(tokenHash: string, nowMs: number) {
    return this.db
      .prepare(
        `SELECT u.* FROM user_tokens t JOIN users u ON u.user_id = t.user_id
         WHERE t.token_hash = ? AND t.expires_at_ms > ?`,
      )
      .get(tokenHash, nowMs) as UserRecord | undefined;
  }
  async revokeUserToken(tokenHash: string) {
    return (
      this.db.prepare('DELETE FROM user_tokens WHERE token_hash = ?').run(tokenHash).changes > 0
    );
  }

  // ---- device flows and clients ------------------------------------------------------------
  async createDeviceFlow(f: DeviceFlowWithRequester) {
    this.db
      .prepare(
        `INSERT INTO device_flows (device_code_hash, user_code, client_label, status, interval_s,
           created_at_ms, expires_at_ms, last_poll_at_ms, slow_downs, requester_ip)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0, ?)`,
      )
      .run(
        f.device_code_hash,
        f.user_code,
        f.client_label,
        f.status,
        f.interval_s,
        f.created_at_ms,
        f.expires_at_ms,
        f.requester_ip ?? null,
      );
  }
  async findDeviceFlow(hash: string) {
    return this.db.prepare('SELECT * FROM device_flows WHERE device_code_hash = ?').get(hash) as
      DeviceFlowRecord | undefined;
  }
  async findDeviceFlowByUserCode(userCode: string) {
    return this.db.prepare('SELECT * FROM device_flows WHERE user_code = ?').get(userCode) as
      DeviceFlowWithRequester | undefined;
  }
  async recordDevicePoll(hash: string, nowMs: number, slowDown: boolean) {
    this.db
      .prepare(
        'UPDATE device_flows SET last_poll_at_ms = ?, slow_downs = slow_downs + ? WHERE device_code_hash = ?',
      )
      .run(nowMs, slowDown ? 1 : 0, hash);
  }
  async approveDeviceFlow(userCode: string, userId: string, nowMs: number) {
    return this.db
      .transaction(() => {
        const flow = this.pendingFlowByUserCode(userCode, nowMs);
        const clientId = randomUUID();
        const now = iso(nowMs);
        this.db
          .prepare(
            `INSERT INTO clients (client_id, client_kind, label, secret_hash, approved_at, approved_by_user_id, created_at)
             VALUES (?, 'AGENT', ?, NULL, ?, ?, ?)`,
          )
          .run(clientId, flow.client_label, now, userId, now);
        this.db
          .prepare(
            `UPDATE device_flows SET status = 'APPROVED', client_id = ?, approved_at = ?, approved_by_user_id = ?
             WHERE device_code_hash = ?`,
          )
          .run(clientId, now, userId, flow.device_code_hash);
        return { ...flow, status: 'APPROVED' as const, client_id: clientId, approved_at: now };
      })
      .immediate();
  }
  async denyDeviceFlow(userCode: string) {
    return this.db
      .transaction(() => {
        const flow = this.pendingFlowByUserCode(userCode, Date.now());
        this.db
          .prepare(`UPDATE device_flows SET status = 'DENIED' WHERE device_code_hash = ?`)
          .run(flow.device_code_hash);
        return { ...flow, status: 'DENIED' as const };
      })
      .immediate();
  }
  private pendingFlowByUserCode(userCode: string, nowMs: number): DeviceFlowRecord {
    const flow = this.db
      .prepare('SELECT * FROM device_flows WHERE user_code = ?')
      .get(userCode.toUpperCase()) as DeviceFlowRecord | undefined;
    if (!flow) throw notFound('device flow with user code', userCode);
    if (flow.status !== 'PENDING' || flow.expires_at_ms <= nowMs) {
      throw new CoreError(
        'STATE_CONFLICT',
        409,
        `device flow ${userCode} is ${flow.expires_at_ms <= nowMs ? 'expired' : flow.status.toLowerCase()}, not pending`,
      );
    }
    return flow;
  }
  async cancelDeviceFlow(hash: string) {
    this.db
      .prepare(`UPDATE device_flows SET status = 'CANCELED' WHERE device_code_hash = ?`)
      .run(hash);
  }
  async consumeDeviceFlow(hash: string, secretHash: string) {
    return this.db
      .transaction(() => {
        const flow = this.db
          .prepare(
            `UPDATE device_flows SET status = 'CONSUMED' WHERE device_code_hash = ? AND status = 'APPROVED' RETURNING client_id`,
          )
          .get(hash) as { client_id: string } | undefined;
        if (!flow) throw new CoreError('INVALID_DEVICE_CODE', 400, 'device code already used');
        this.db
          .prepare('UPDATE clients SET secret_hash = ? WHERE client_id = ?')
          .run(secretHash, flow.client_id);
        return this.db
          .prepare('SELECT * FROM clients WHERE client_id = ?')
          .get(flow.client_id) as ClientRecord;
      })
      .immediate();
  }
  async getClient(clientId: string) {
    return this.db.prepare('SELECT * FROM clients WHERE client_id = ?').get(clientId) as
      ClientRecord | undefined;
  }
  async listClients() {
    return this.db.prepare('SELECT * FROM clients ORDER BY created_at').all() as ClientRecord[];
  }
  async setClientSecret(clientId: string, secretHash: string) {
    this.db
      .transaction(() => {
        const r = this.db
          .prepare('UPDATE clients SET secret_hash = ? WHERE client_id = ?')
          .run(secretHash, clientId);
        if (r.changes === 0) throw notFound('client', clientId);
        this.db.prepare('DELETE FROM client_tokens WHERE client_id = ?').run(clientId);
      })
      .immediate();
  }
  async replaceClientToken(clientId: string, tokenHash: string, expiresAtMs: number) {
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM client_tokens WHERE client_id = ?').run(clientId);
        this.db
          .prepare(
            'INSERT INTO client_tokens (token_hash, client_id, expires_at_ms) VALUES (?, ?, ?)',
          )
          .run(tokenHash, clientId, expiresAtMs);
      })
      .immediate();
  }
  async revokeClientTokens(clientId: string) {
    if (!(await this.getClient(clientId))) throw notFound('client', clientId);
    return this.db.prepare('DELETE FROM client_tokens WHERE client_id = ?').run(clientId).changes;
  }
  async findClientByToken(tokenHash: string, nowMs: number, request?: object) {
    const found = this.authLookups.lookup('clientByToken', tokenHash, request, () => {
      const row = this.db
        .prepare(
          `SELECT c.*, t.expires_at_ms AS token_expires_at_ms
             FROM client_tokens t JOIN clients c ON c.client_id = t.client_id
            WHERE t.token_hash = ?`,
        )
        .get(tokenHash) as (ClientRecord & { token_expires_at_ms: number }) | undefined;
      if (!row) return undefined;
      const { token_expires_at_ms: expiresAtMs, ...client } = row;
      return { client, expiresAtMs };
    });
    return unexpiredClient(found, nowMs);
  }

  // ---- agents and request-signing state ----------------------------------------------------
  /** Through the auth lookup cache: last_seen_at and last_heartbeat_at may lag (listAgents doesn't). */
  async getAgent(agentId: string, request?: object) {
    return this.authLookups.lookup('agent', agentId, request, () => {
      const row = this.db.prepare('SELECT * FROM agents WHERE agent_id = ?').get(agentId) as
        Row | undefined;
      return row ? mapAgent(row) : undefined;
    });
  }
  async saveAgent(a: AgentRecord) {
    this.db
      .prepare(
        `INSERT INTO agents (agent_id, client_id, agent_name, agent_version, os_name, os_version, arch,
           capabilities, effective_capabilities, capability_warnings, max_parallel_jobs, public_key,
           fingerprint, identity_conflict, feature_flags_contract_version, last_seen_at, last_register_at,
           last_heartbeat_at)
         VALUES (@agent_id, @client_id, @agent_name, @agent_version, @os_name, @os_version, @arch,
           @capabilities, @effective_capabilities, @capability_warnings, @max_parallel_jobs, @public_key,
           @fingerprint, @identity_conflict, @feature_flags_contract_version, @last_seen_at,
           @last_register_at, @last_heartbeat_at)
         ON CONFLICT(agent_id) DO UPDATE SET client_id = excluded.client_id,
           agent_name = excluded.agent_name, agent_version = excluded.agent_version,
           os_name = excluded.os_name, os_version = excluded.os_version, arch = excluded.arch,
           capabilities = excluded.capabilities, effective_capabilities = excluded.effective_capabilities,
           capability_warnings = excluded.capability_warnings, max_parallel_jobs = excluded.max_parallel_jobs,
           public_key = excluded.public_key, fingerprint = excluded.fingerprint,
           identity_conflict = excluded.identity_conflict,
           feature_flags_contract_version = excluded.feature_flags_contract_version,
           last_seen_at = excluded.last_seen_at, last_register_at = excluded.last_register_at`,
      )
      .run({
        ...a,
        capabilities: JSON.stringify(a.capabilities),
        effective_capabilities: JSON.stringify(a.effective_capabilities),
        capability_warnings: JSON.stringify(a.capability_warnings),
        identity_conflict: a.identity_conflict ? 1 : 0,
      });
  }
  async touchAgent(agentId: string, nowMs: number) {
    this.db
      .prepare('UPDATE agents SET last_seen_at = ? WHERE agent_id = ?')
      .run(iso(nowMs), agentId);
  }
  async listAgents() {
    return (this.db.prepare('SELECT * FROM agents ORDER BY last_seen_at DESC').all() as Row[]).map(
      mapAgent,
    );
  }
  async latestAgentOfClient(clientId: string, request?: object) {
    return this.authLookups.lookup('latestAgentOfClient', clientId, request, () => {
      const row = this.db.prepare(LATEST_AGENT_OF_CLIENT_SQL).get(clientId) as Row | undefined;
      return row ? mapAgent(row) : undefined;
    });
  }
  async agentJobDigest(agentId: string): Promise<AgentJobDigest> {
    const one = (sql: string) => {
      const row = this.db.prepare(sql).get(agentId) as Row | undefined;
      return row ? mapJob(row) : undefined;
    };
    return {
      current: one(
        `SELECT * FROM jobs WHERE claimed_by = ? AND status = 'claimed' ORDER BY claimed_at DESC LIMIT 1`,
      ) as AgentJobDigest['current'],
      lastCompleted: one(
        `SELECT j.* FROM jobs j JOIN job_claims c ON c.job_id = j.job_id AND c.outcome = 'completed'
         WHERE c.agent_id = ? ORDER BY c.ended_at DESC LIMIT 1`,
      ),
      lastFailed: one(
        `SELECT j.* FROM jobs j JOIN job_claims c ON c.job_id = j.job_id AND c.outcome IN ('failed', 'retry')
         WHERE c.agent_id = ? ORDER BY c.ended_at DESC LIMIT 1`,
      ),
    };
  }
  /** One atomic statement per signed request: new, or last seen before the window → accepted. */
  async rememberNonce(agentId: string, nonce: string, nowMs: number, windowMs: number) {
    return acceptNonce(this.db, { agentId, nonce, nowMs, windowMs });
  }
  async logSecurityEvent(kind: string, detail: Record<string, unknown>) {
    this.db
      .prepare(
        'INSERT INTO security_events (at, kind, agent_id, client_id, detail) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        new Date().toISOString(),
        kind,
        (detail.agent_id as string | undefined) ?? null,
        (detail.client_id as string | undefined) ?? null,
        JSON.stringify(detail),
      );
  }
  async listSecurityEvents() {
    return (
      this.db.prepare('SELECT kind, detail FROM security_events ORDER BY id').all() as {
        kind: string;
        detail: string;
      }[]
    ).map((r) => ({ kind: r.kind, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}
