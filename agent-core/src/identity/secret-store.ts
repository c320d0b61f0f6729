// Where the agent keeps its secrets (OpenPGP private key, enrolment secret_key): the OS keychain
// through @napi-rs/keyring when one answers, else a JSON file with 0600 permissions in the data
// dir (headless Linux without a Secret Service). `describe()` says which, for `config show`.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';

export interface SecretStoreInfo {
  kind: 'os-keychain' | 'file';
  detail: string;
}

export interface SecretStore {
  readonly info: SecretStoreInfo;
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export class FileSecretStore implements SecretStore {
  readonly info: SecretStoreInfo;
  constructor(readonly filePath: string) {
    this.info = { kind: 'file', detail: `${filePath} (mode 0600)` };
  }

  private async readAll(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(this.filePath, 'utf8')) as Record<string, string>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`secret file ${this.filePath} is unreadable: ${(err as Error).message}`);
    }
  }

  private async writeAll(values: Record<string, string>): Promise<void> {
    await mkdir(dirname(this.filePath), { recursive: true, mode: 0o700 });
    const tmp = `${this.filePath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(values), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.filePath);
  }

  async get(name: string): Promise<string | undefined> {
    return (await this.readAll())[name];
  }
  async set(name: string, value: string): Promise<void> {
    await this.writeAll({ ...(await this.readAll()), [name]: value });
  }
  async delete(name: string): Promise<void> {
    const all = await this.readAll();
    delete all[name];
    await this.writeAll(all);
  }
}

type KeyringEntry = {
  getPassword(): Promise<string | undefined>;
  setPassword(value: string): Promise<void>;
  deletePassword(): Promise<unknown>;
};
type KeyringModule = { AsyncEntry: new (service: string, account: string) => KeyringEntry };

export class KeychainSecretStore implements SecretStore {
  readonly info: SecretStoreInfo;
  constructor(
    private readonly keyring: KeyringModule,
    private readonly service: string,
  ) {
    this.info = { kind: 'os-keychain', detail: `OS keychain, service "${service}"` };
  }
  private entry(name: string): KeyringEntry {
    return new this.keyring.AsyncEntry(this.service, name);
  }
  async get(name: string): Promise<string | undefined> {
    try {
      return (await this.entry(name).getPassword()) ?? undefined;
    } catch (err) {
      if (/no (matching )?entry/i.test(String(err))) return undefined;
      throw err;
    }
  }
  async set(name: string, value: string): Promise<void> {
    await this.entry(name).setPassword(value);
  }
  async delete(name: string): Promise<void> {
    try {
      await this.entry(name).deletePassword();
    } catch {
      // already absent
    }
  }
}

export type SecretStorePreference = 'auto' | 'file' | 'os-keychain';

/**
 * Picks the OS keychain when a probe write/read round-trips, else the 0600 file. The keychain
 * service name includes a hash of the data dir so two installs (or tests) never share entries.
 */
export async function openSecretStore(
  dataDir: string,
  preference: SecretStorePreference = (process.env
    .RETAIA_AGENT_SECRET_STORE as SecretStorePreference) ?? 'auto',
): Promise<SecretStore> {
  const file = new FileSecretStore(join(dataDir, 'secrets.json'));
  if (preference === 'file') return file;
  try {
    // require, not import(): see loadSharp in processing/tools/image.ts (CJS bundle, asar).
    const keyring = createRequire(import.meta.url)('@napi-rs/keyring') as KeyringModule;
    const service = `retaia-agent-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
    const store = new KeychainSecretStore(keyring, service);
    await store.set('probe', 'ok');
    const back = await store.get('probe');
    await store.delete('probe');
    if (back === 'ok') return store;
    throw new Error('keychain probe did not round-trip');
  } catch (err) {
    if (preference === 'os-keychain') {
      throw new Error(`OS keychain unavailable (${(err as Error).message.split('\n')[0]})`);
    }
    return file;
  }
}
