import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IdentityStore, IdentityError } from '../src/identity/agent-identity.js';
import { openSecretStore, FileSecretStore } from '../src/identity/secret-store.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

test('identity is created once (UUIDv4 + OpenPGP key) and reused, never regenerated silently', async () => {
  const dir = makeTempDir('id-');
  const secrets = new FileSecretStore(join(dir, 'secrets.json'));
  const store = new IdentityStore(dir, secrets);
  const first = await store.loadOrCreate();
  assert.match(
    first.agentId,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.match(first.fingerprint, /^[0-9A-F]{40}$/);
  const again = await new IdentityStore(dir, secrets).loadOrCreate();
  assert.equal(again.agentId, first.agentId);
  assert.equal(again.fingerprint, first.fingerprint);
  // the private key is only in the secret store, never in identity.json
  assert.doesNotMatch(await readFile(join(dir, 'identity.json'), 'utf8'), /PRIVATE KEY/);
  assert.equal((await stat(join(dir, 'secrets.json'))).mode & 0o777, 0o600);
  // losing the private key is an error, not a silent new identity
  await rm(join(dir, 'secrets.json'));
  await assert.rejects(new IdentityStore(dir, secrets).loadOrCreate(), (e: IdentityError) =>
    /never regenerated silently.*rotate-key/.test(e.message),
  );
});

test('rotate-key keeps agent_id, changes the key; credentials round-trip through the secret store', async () => {
  const dir = makeTempDir('id-');
  const store = new IdentityStore(dir, new FileSecretStore(join(dir, 'secrets.json')));
  const first = await store.loadOrCreate();
  await store.saveCredentials({ clientId: 'c1', secretKey: 'sk-1', coreUrl: 'https://x/api/v1' });
  const rotated = await store.rotateKey();
  assert.equal(rotated.agentId, first.agentId);
  assert.notEqual(rotated.fingerprint, first.fingerprint);
  assert.equal((await store.loadOrCreate()).fingerprint, rotated.fingerprint);
  assert.deepEqual(await store.loadCredentials(), {
    clientId: 'c1',
    secretKey: 'sk-1',
    coreUrl: 'https://x/api/v1',
  });
  assert.doesNotMatch(await readFile(join(dir, 'identity.json'), 'utf8'), /sk-1/);
  assert.equal((await store.describe())?.clientId, 'c1');
});

test('secret store: falls back to a 0600 file where no OS keychain answers, and says so', async () => {
  const dir = makeTempDir('ss-');
  const store = await openSecretStore(dir, 'auto');
  assert.ok(['file', 'os-keychain'].includes(store.info.kind));
  if (store.info.kind === 'file') assert.match(store.info.detail, /secrets\.json \(mode 0600\)/);
  const forced = await openSecretStore(dir, 'file');
  assert.equal(forced.info.kind, 'file');
  await forced.set('a', 'b');
  assert.equal(await forced.get('a'), 'b');
  await forced.delete('a');
  assert.equal(await forced.get('a'), undefined);
});
