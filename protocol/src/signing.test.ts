import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RequestSigner,
  buildSigningText,
  generateAgentKey,
  readAgentPublicKey,
  sha256Hex,
  verifyDetachedSignature,
  SIGNATURE_HEADERS,
  SIGNATURE_TIMESTAMP_PATTERN,
} from './signing.js';

const agentId = '0f8fad5b-d9cb-469f-a165-70867728950e';

test('signing text is six lines, no trailing newline, path without query', () => {
  const text = buildSigningText({
    method: 'post',
    path: '/api/v1/jobs/j1/claim?x=1',
    agentId,
    timestamp: '2026-11-23T09:00:00Z',
    nonce: 'n-1',
    body: '',
  });
  const lines = text.split('\n');
  assert.equal(lines.length, 6);
  assert.deepEqual(lines.slice(0, 5), [
    'POST',
    '/api/v1/jobs/j1/claim',
    agentId,
    '2026-11-23T09:00:00Z',
    'n-1',
  ]);
  assert.equal(lines[5], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.ok(!text.endsWith('\n'));
});

test('a signature made by RequestSigner verifies, and fails for another body or key', async () => {
  const key = await generateAgentKey('test-agent');
  assert.match(key.fingerprint, /^[0-9A-F]{40}$/);
  const signer = await RequestSigner.fromArmored(agentId, key.privateKeyArmored);
  assert.equal(signer.fingerprint, key.fingerprint);
  const body = JSON.stringify({ lock_token: 'a', fencing_token: 1 });
  const headers = await signer.headersFor('POST', '/api/v1/jobs/j1/heartbeat', body);
  assert.match(headers[SIGNATURE_HEADERS.timestamp]!, SIGNATURE_TIMESTAMP_PATTERN);
  assert.doesNotMatch(headers[SIGNATURE_HEADERS.signature]!, /\n/);
  const pub = await readAgentPublicKey(key.publicKeyArmored);
  assert.equal(pub.fingerprint, key.fingerprint);
  const text = (b: string) =>
    buildSigningText({
      method: 'POST',
      path: '/api/v1/jobs/j1/heartbeat',
      agentId,
      timestamp: headers[SIGNATURE_HEADERS.timestamp]!,
      nonce: headers[SIGNATURE_HEADERS.nonce]!,
      body: b,
    });
  assert.equal(
    await verifyDetachedSignature(pub.key, text(body), headers[SIGNATURE_HEADERS.signature]!),
    true,
  );
  assert.equal(
    await verifyDetachedSignature(pub.key, text(body + ' '), headers[SIGNATURE_HEADERS.signature]!),
    false,
  );
  const other = await readAgentPublicKey((await generateAgentKey('other')).publicKeyArmored);
  assert.equal(
    await verifyDetachedSignature(other.key, text(body), headers[SIGNATURE_HEADERS.signature]!),
    false,
  );
  assert.equal(await verifyDetachedSignature(pub.key, text(body), 'bm90IGEgc2lnbmF0dXJl'), false);
  const again = await signer.headersFor('POST', '/api/v1/jobs/j1/heartbeat', body);
  assert.notEqual(again[SIGNATURE_HEADERS.nonce], headers[SIGNATURE_HEADERS.nonce]);
  assert.equal(
    sha256Hex('abc'),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});
