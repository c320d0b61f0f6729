// The least a Core can do for the agent job loop, hand-written on node:http: the load bench's
// `--minimal-core` runs its same agents against this instead of core-server, to measure what a
// claim+submit costs with no framework, no logging, no schema validation and no asset lifecycle.
// It is a floor for #13's CPU target, not a product: nothing imports it outside bench/.
//
// What it keeps, because the wire and its guarantees need it:
// - the bearer token is hashed and looked up (an in-memory map: no database read at all);
// - every write's OpenPGP signature is checked with the same verifier as core-server (node:crypto
//   Ed25519), over the same six-line text, with the timestamp window;
// - each write's nonce is recorded in SQLite in the write's own transaction (replays refused);
// - a claim is a conditional UPDATE (exactly one winner); a submit checks the lock token, records
//   the Idempotency-Key and its answer, completes the job and bumps the asset's revision;
// - concurrent writes of one event-loop turn share one commit (group commit), and each answer is
//   sent only after that commit;
// - a poll answers from memory: the pending jobs in order, each serialized once.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  SIGNATURE_HEADERS,
  buildSigningTextFromDigest,
  readAgentPublicKey,
  sha256Hex,
  type ParsedPublicKey,
} from '@retaia/protocol';

export interface MinimalAgent {
  agentId: string;
  token: string;
  publicKeyArmored: string;
}

interface PendingJob {
  jobId: string;
  assetUuid: string;
  json: string;
}

const PREFIX = '/api/v1';
const SKEW_MS = 60_000;

export async function startMinimalCore(dataDir: string, agents: MinimalAgent[], jobs: number) {
  const db = new Database(path.join(dataDir, 'minimal.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('temp_store = MEMORY');
  db.exec(`
    CREATE TABLE assets (asset_uuid TEXT PRIMARY KEY, revision INTEGER NOT NULL);
    CREATE TABLE jobs (job_id TEXT PRIMARY KEY, asset_uuid TEXT NOT NULL, status TEXT NOT NULL,
      claimed_by TEXT, lock_token TEXT, fencing_token INTEGER NOT NULL, locked_until_ms INTEGER,
      result TEXT);
    CREATE TABLE nonces (agent_id TEXT, nonce TEXT, seen_at_ms INTEGER,
      PRIMARY KEY (agent_id, nonce)) WITHOUT ROWID;
    CREATE TABLE idempotency (scope TEXT, key TEXT, request_sha256 TEXT, answer TEXT,
      PRIMARY KEY (scope, key)) WITHOUT ROWID;`);
  const pending = new Map<string, PendingJob>();
  const addAsset = db.prepare('INSERT INTO assets VALUES (?, 0)');
  const addJob = db.prepare(`INSERT INTO jobs VALUES (?, ?, 'pending', NULL, NULL, 0, NULL, NULL)`);
  db.transaction(() => {
    for (let i = 0; i < jobs; i++) {
      const assetUuid = randomUUID();
      const jobId = randomUUID();
      addAsset.run(assetUuid);
      addJob.run(jobId, assetUuid);
      const json = JSON.stringify({
        job_id: jobId,
        job_type: 'extract_facts',
        status: 'pending',
        asset_uuid: assetUuid,
        source: {
          storage_id: 'bench',
          original_relative: `INBOX/p${i}.jpg`,
          sidecars_relative: [],
        },
        required_capabilities: ['media.facts@1'],
        claimed_by: null,
        lock_token: null,
        fencing_token: null,
        locked_until: null,
      });
      pending.set(jobId, { jobId, assetUuid, json });
    }
  })();

  const byToken = new Map<string, string>();
  const keys = new Map<string, ParsedPublicKey>();
  for (const a of agents) {
    byToken.set(sha256Hex(a.token), a.agentId);
    keys.set(a.agentId, await readAgentPublicKey(a.publicKeyArmored));
  }

  const stmt = {
    nonce: db.prepare('INSERT INTO nonces VALUES (?, ?, ?)'),
    claim: db.prepare(`UPDATE jobs SET status = 'claimed', claimed_by = ?, lock_token = ?,
      fencing_token = fencing_token + 1, locked_until_ms = ? WHERE job_id = ? AND status = 'pending'
      RETURNING fencing_token`),
    complete: db.prepare(`UPDATE jobs SET status = 'completed', result = ? WHERE job_id = ?
      AND status = 'claimed' AND claimed_by = ? AND lock_token = ? AND fencing_token = ?
      RETURNING asset_uuid`),
    bump: db.prepare('UPDATE assets SET revision = revision + 1 WHERE asset_uuid = ?'),
    remember: db.prepare('INSERT INTO idempotency VALUES (?, ?, ?, ?)'),
  };

  // Group commit: writes queued in one turn run in one transaction, answered after it commits.
  const batches: number[] = [];
  let queue: { run: () => [number, string]; res: ServerResponse }[] = [];
  const commit = () => {
    const batch = queue;
    queue = [];
    const answers = batch.map(() => [500, '{}'] as [number, string]);
    // No savepoint per write: each one's first statement is its nonce, and a refused nonce (a
    // replay) throws before anything is written. Nothing else throws here: the bench's agents
    // never reuse an Idempotency-Key.
    db.transaction(() =>
      batch.forEach((op, i) => {
        try {
          answers[i] = op.run();
        } catch {
          answers[i] = [401, '{"code":"UNAUTHORIZED"}'];
        }
      }),
    ).immediate();
    batches.push(batch.length);
    batch.forEach((op, i) => send(op.res, ...answers[i]!));
  };
  const write = (res: ServerResponse, run: () => [number, string]) => {
    if (queue.push({ run, res }) === 1) setImmediate(commit);
  };

  const claim = (
    response: ServerResponse,
    agentId: string,
    jobId: string,
    nonce: string,
    now: number,
  ) =>
    write(response, () => {
      stmt.nonce.run(agentId, nonce, now);
      const lockToken = randomUUID();
      const lockedUntil = now + 300_000;
      const row = stmt.claim.get(agentId, lockToken, lockedUntil, jobId) as
        { fencing_token: number } | undefined;
      if (!row) return [409, '{"code":"STATE_CONFLICT"}'];
      const job = pending.get(jobId)!;
      pending.delete(jobId);
      const claimed = JSON.parse(job.json);
      Object.assign(claimed, {
        status: 'claimed',
        claimed_by: agentId,
        lock_token: lockToken,
        fencing_token: row.fencing_token,
        locked_until: new Date(lockedUntil).toISOString(),
      });
      return [200, JSON.stringify(claimed)];
    });
  const server: Server = createServer((req, response) => {
    const url = req.url ?? '';
    const agentId = byToken.get(sha256Hex(bearer(req)));
    if (!agentId) return send(response, 401, '{"code":"UNAUTHORIZED"}');
    if (req.method === 'GET') {
      if (url.startsWith(`${PREFIX}/jobs`)) {
        const limit = Math.min(
          Number(new URL(url, 'http://x').searchParams.get('limit')) || 100,
          500,
        );
        const out: string[] = [];
        for (const job of pending.values()) {
          if (out.length >= limit) break;
          out.push(job.json);
        }
        return send(response, 200, `[${out.join(',')}]`);
      }
      return send(response, 200, '{"feature_flags":{}}');
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const now = Date.now();
      const nonce = verified(req, agentId, keys.get(agentId)!, body, now);
      if (nonce === undefined) return send(response, 401, '{"code":"UNAUTHORIZED"}');
      const m = /^\/api\/v1\/jobs\/([^/]+)\/(claim|submit)$/.exec(url);
      if (!m) return send(response, 404, '{"code":"NOT_FOUND"}');
      if (m[2] === 'claim') return claim(response, agentId, m[1]!, nonce, now);
      const key = req.headers['idempotency-key'];
      const sub = JSON.parse(body.toString('utf8')) as {
        lock_token: string;
        fencing_token: number;
        result: unknown;
      };
      write(response, () => {
        stmt.nonce.run(agentId, nonce, now);
        const row = stmt.complete.get(
          JSON.stringify(sub.result),
          m[1],
          agentId,
          sub.lock_token,
          sub.fencing_token,
        ) as { asset_uuid: string } | undefined;
        if (!row) return [409, '{"code":"STALE_LOCK_TOKEN"}'];
        stmt.bump.run(row.asset_uuid);
        const answer = JSON.stringify({
          job_id: m[1],
          asset_uuid: row.asset_uuid,
          status: 'completed',
        });
        stmt.remember.run(`${agentId} submit`, String(key), sha256Hex(body), answer);
        return [200, answer];
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    /** Writes per commit, one entry per commit. */
    batches,
    apiUrl: `http://127.0.0.1:${port}${PREFIX}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          db.close();
          resolve();
        });
      }),
  };
}

function bearer(req: IncomingMessage): string {
  const h = req.headers.authorization ?? '';
  return h.startsWith('Bearer ') ? h.slice(7) : '';
}

function send(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(json);
}

/** The nonce of a write whose signature, key and timestamp check out; undefined otherwise. */
function verified(
  req: IncomingMessage,
  agentId: string,
  key: ParsedPublicKey,
  body: Buffer,
  now: number,
): string | undefined {
  const h = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : '';
  };
  const timestamp = h(SIGNATURE_HEADERS.timestamp);
  const nonce = h(SIGNATURE_HEADERS.nonce);
  if (h(SIGNATURE_HEADERS.agentId) !== agentId || !nonce) return undefined;
  if (h(SIGNATURE_HEADERS.fingerprint).toUpperCase() !== key.fingerprint) return undefined;
  if (!(Math.abs(now - Date.parse(timestamp)) <= SKEW_MS)) return undefined;
  const text = buildSigningTextFromDigest({
    method: req.method ?? '',
    path: req.url ?? '',
    agentId,
    timestamp,
    nonce,
    bodySha256: sha256Hex(body),
  });
  // core-server's native path (the bench agents' keys and signatures all fit it); anything
  // outside it is refused here rather than handed to openpgp.js.
  const armored = Buffer.from(h(SIGNATURE_HEADERS.signature), 'base64').toString('utf8');
  return key.native?.check(text, armored) === true ? nonce : undefined;
}
