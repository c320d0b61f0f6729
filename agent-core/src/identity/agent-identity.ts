// The agent's identity (docs/protocol.md#identity-enrolment-and-signed-writes): a random UUIDv4 agent_id and an OpenPGP signing key, both
// created once on first start and reused forever. The private key lives in the secret store;
// the public half and non-secret enrolment data in `<dataDir>/identity.json`. Nothing here is
// ever regenerated silently: a missing private key for an existing identity is an error, and
// rotation is the explicit `rotateAgentKey`.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateAgentKey } from '@retaia/protocol';
import { z } from 'zod';
import type { SecretStore } from './secret-store.js';

const identityFileSchema = z.object({
  agent_id: z.uuid({ version: 'v4' }),
  openpgp_fingerprint: z.string().regex(/^[0-9A-F]{40}$/),
  openpgp_public_key: z.string().min(1),
  created_at: z.string(),
  key_created_at: z.string(),
  /** Set by enrolment; the matching secret_key is in the secret store. */
  client_id: z.string().optional(),
  core_url: z.string().optional(),
});
type IdentityFile = z.infer<typeof identityFileSchema>;

export interface AgentIdentity {
  agentId: string;
  fingerprint: string;
  publicKeyArmored: string;
  privateKeyArmored: string;
  createdAt: string;
  keyCreatedAt: string;
}

export interface ClientCredentials {
  clientId: string;
  secretKey: string;
  /** Core the credentials were issued by (re-enrol when it changes). */
  coreUrl?: string;
}

export class IdentityError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

const PRIVATE_KEY_SECRET = (agentId: string) => `openpgp-private-key:${agentId}`;
const CLIENT_SECRET = (agentId: string) => `client-secret-key:${agentId}`;

export class IdentityStore {
  readonly filePath: string;
  constructor(
    readonly dataDir: string,
    readonly secrets: SecretStore,
  ) {
    this.filePath = join(dataDir, 'identity.json');
  }

  private async readFile(): Promise<IdentityFile | undefined> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = identityFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new IdentityError(
        `${this.filePath} is damaged (${parsed.error.issues[0]?.message}); it is never rewritten automatically: restore it from a backup, or move it away to create a new identity (the agent must then be enrolled again)`,
      );
    }
    return parsed.data;
  }

  private async writeFile(data: IdentityFile): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.filePath}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.filePath);
  }

  /** The existing identity, or a new one (first start only). */
  async loadOrCreate(): Promise<AgentIdentity> {
    const existing = await this.readFile();
    if (existing) {
      const privateKeyArmored = await this.secrets.get(PRIVATE_KEY_SECRET(existing.agent_id));
      if (!privateKeyArmored) {
        throw new IdentityError(
          `the private key of agent ${existing.agent_id} is missing from the secret store (${this.secrets.info.detail}); it is never regenerated silently: restore it, or run "retaia-agent identity rotate-key" to create and register a new key`,
        );
      }
      return toIdentity(existing, privateKeyArmored);
    }
    const agentId = randomUUID();
    const key = await generateAgentKey(`retaia-agent ${agentId}`);
    const now = new Date().toISOString();
    await this.secrets.set(PRIVATE_KEY_SECRET(agentId), key.privateKeyArmored);
    const data: IdentityFile = {
      agent_id: agentId,
      openpgp_fingerprint: key.fingerprint,
      openpgp_public_key: key.publicKeyArmored,
      created_at: now,
      key_created_at: now,
    };
    await this.writeFile(data);
    return toIdentity(data, key.privateKeyArmored);
  }

  /** Replaces the signing key (explicit operator action). The agent_id stays. */
  async rotateKey(): Promise<AgentIdentity> {
    const existing = await this.readFile();
    if (!existing) return this.loadOrCreate();
    const key = await generateAgentKey(`retaia-agent ${existing.agent_id}`);
    await this.secrets.set(PRIVATE_KEY_SECRET(existing.agent_id), key.privateKeyArmored);
    const data: IdentityFile = {
      ...existing,
      openpgp_fingerprint: key.fingerprint,
      openpgp_public_key: key.publicKeyArmored,
      key_created_at: new Date().toISOString(),
    };
    await this.writeFile(data);
    return toIdentity(data, key.privateKeyArmored);
  }

  async loadCredentials(): Promise<ClientCredentials | undefined> {
    const data = await this.readFile();
    if (!data?.client_id) return undefined;
    const secretKey = await this.secrets.get(CLIENT_SECRET(data.agent_id));
    if (!secretKey) return undefined;
    return {
      clientId: data.client_id,
      secretKey,
      ...(data.core_url ? { coreUrl: data.core_url } : {}),
    };
  }

  async saveCredentials(creds: ClientCredentials): Promise<void> {
    const data = await this.readFile();
    if (!data)
      throw new IdentityError('no agent identity yet: start the daemon once before enrolling');
    await this.secrets.set(CLIENT_SECRET(data.agent_id), creds.secretKey);
    const { core_url: _old, ...rest } = data;
    await this.writeFile({
      ...rest,
      client_id: creds.clientId,
      ...(creds.coreUrl ? { core_url: creds.coreUrl } : {}),
    });
  }

  async clearCredentials(): Promise<void> {
    const data = await this.readFile();
    if (!data) return;
    await this.secrets.delete(CLIENT_SECRET(data.agent_id));
    const { client_id: _c, core_url: _u, ...rest } = data;
    await this.writeFile(rest);
  }

  /** Public facts only (for `identity show`, diagnostics). */
  async describe(): Promise<
    | {
        agentId: string;
        fingerprint: string;
        createdAt: string;
        keyCreatedAt: string;
        clientId?: string;
      }
    | undefined
  > {
    const data = await this.readFile();
    if (!data) return undefined;
    return {
      agentId: data.agent_id,
      fingerprint: data.openpgp_fingerprint,
      createdAt: data.created_at,
      keyCreatedAt: data.key_created_at,
      ...(data.client_id ? { clientId: data.client_id } : {}),
    };
  }
}

function toIdentity(data: IdentityFile, privateKeyArmored: string): AgentIdentity {
  return {
    agentId: data.agent_id,
    fingerprint: data.openpgp_fingerprint,
    publicKeyArmored: data.openpgp_public_key,
    privateKeyArmored,
    createdAt: data.created_at,
    keyCreatedAt: data.key_created_at,
  };
}
