// The node:crypto Ed25519 path against openpgp.js on the same signatures: both must give the same
// answer for valid, tampered, foreign, weak-hash and unusual signatures, and anything outside the
// native shape (v5/v6 packets, text signatures, v6 keys) must be handed to openpgp.js.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import * as openpgp from 'openpgp';
import { Ed25519Signer, Ed25519Verifier } from './ed25519-native.js';
import { armorSignature, dearmorSignature } from './openpgp-packets.js';
import {
  RequestSigner,
  SIGNATURE_HEADERS,
  generateAgentKey,
  readAgentPublicKey,
  verifyDetachedSignature,
  verifyRequestSignature,
  type ParsedPublicKey,
} from './signing.js';

const TEXT = 'POST\n/api/v1/jobs/j1/claim\nagent\n2026-11-23T09:00:00Z\nnonce\nabc';
const b64 = (armored: string) => Buffer.from(armored, 'utf8').toString('base64');

async function fixture() {
  const key = await generateAgentKey('native-test');
  const pub = await readAgentPublicKey(key.publicKeyArmored);
  const priv = await openpgp.readPrivateKey({ armoredKey: key.privateKeyArmored });
  const signer = (await Ed25519Signer.forKey(priv))!;
  assert.ok(pub.native, 'generateAgentKey makes keys the native path takes');
  assert.ok(signer, 'and it can sign with them');
  return { key, pub, priv, signer };
}

/** Both verifiers on one signature: they must agree; returns the answer and the native verdict. */
async function both(pub: ParsedPublicKey, text: string, armored: string) {
  const reference = await verifyDetachedSignature(pub.key, text, b64(armored));
  const combined = await verifyRequestSignature(pub, text, b64(armored));
  assert.equal(combined, reference, 'native+fallback disagrees with openpgp.js');
  return { valid: reference, native: pub.native!.check(text, armored) };
}

/** The signature with one byte of its binary packet changed by `edit`. */
function mutate(armored: string, edit: (bytes: Uint8Array) => void): string {
  const bytes = new Uint8Array(dearmorSignature(armored)!);
  edit(bytes);
  return armorSignature(bytes);
}

test('signatures made by openpgp.js verify natively, and native ones verify in openpgp.js', async () => {
  const { pub, priv, signer } = await fixture();
  const byOpenpgp = await openpgp.sign({
    message: await openpgp.createMessage({ binary: Buffer.from(TEXT) }),
    signingKeys: priv,
    detached: true,
    format: 'armored',
  });
  assert.deepEqual(await both(pub, TEXT, byOpenpgp), { valid: true, native: true });
  const sha256 = await openpgp.sign({
    message: await openpgp.createMessage({ binary: Buffer.from(TEXT) }),
    signingKeys: priv,
    detached: true,
    format: 'armored',
    config: { preferredHashAlgorithm: openpgp.enums.hash.sha256 },
  });
  assert.deepEqual(await both(pub, TEXT, sha256), { valid: true, native: true });
  assert.deepEqual(await both(pub, TEXT, signer.sign(TEXT)), { valid: true, native: true });
  // Non-ASCII text: both hash the UTF-8 bytes.
  const utf8 = `${TEXT}\nÉté 📷`;
  assert.deepEqual(await both(pub, utf8, signer.sign(utf8)), { valid: true, native: true });
});

test('a tampered body, a foreign key or a wrong hash id is refused by both', async () => {
  const { pub, signer } = await fixture();
  const sig = signer.sign(TEXT);
  assert.deepEqual(await both(pub, `${TEXT} `, sig), { valid: false, native: false });

  const other = await fixture();
  const foreign = other.signer.sign(TEXT);
  // Another key's signature names its own issuer: the native path steps aside, openpgp.js refuses.
  assert.deepEqual(await both(pub, TEXT, foreign), { valid: false, native: undefined });
  // ... and a foreign signature rewritten to name our key fails the cryptographic check.
  const claimed = mutate(foreign, (bytes) => {
    const at = Buffer.from(bytes).indexOf(Buffer.from(other.pub.fingerprint, 'hex'));
    bytes.set(Buffer.from(pub.fingerprint, 'hex'), at);
    const id = Buffer.from(bytes).lastIndexOf(Buffer.from(other.pub.fingerprint.slice(24), 'hex'));
    bytes.set(Buffer.from(pub.fingerprint.slice(24), 'hex'), id);
  });
  assert.deepEqual(await both(pub, TEXT, claimed), { valid: false, native: false });

  // Hash id byte (packet header 2 octets, then version, type, algorithm, hash).
  const HASH_AT = 5;
  const sha256Claim = mutate(sig, (bytes) => (bytes[HASH_AT] = 8));
  assert.deepEqual(await both(pub, TEXT, sha256Claim), { valid: false, native: false });
  for (const weak of [2 /* SHA-1 */, 11 /* SHA-224 */, 1 /* MD5 */]) {
    const weakClaim = mutate(sig, (bytes) => (bytes[HASH_AT] = weak));
    assert.deepEqual(await both(pub, TEXT, weakClaim), { valid: false, native: undefined });
  }
});

test('v5/v6 packets, text signatures, future or odd signatures go to openpgp.js', async () => {
  const { pub, priv, signer } = await fixture();
  const sig = signer.sign(TEXT);
  for (const version of [3, 5, 6]) {
    const other = mutate(sig, (bytes) => (bytes[2] = version));
    assert.deepEqual(await both(pub, TEXT, other), { valid: false, native: undefined });
  }
  const textSig = await openpgp.sign({
    message: await openpgp.createMessage({ text: TEXT }),
    signingKeys: priv,
    detached: true,
    format: 'armored',
  });
  const t = await both(pub, TEXT, textSig);
  assert.equal(t.native, undefined, 'text signatures are decided by openpgp.js');
  const future = signer.sign(TEXT, Date.now() + 3_600_000);
  assert.deepEqual(await both(pub, TEXT, future), { valid: false, native: undefined });
  const ancient = signer.sign(TEXT, Date.parse('2001-01-01T00:00:00Z'));
  assert.deepEqual(await both(pub, TEXT, ancient), { valid: false, native: undefined });
  assert.deepEqual(await both(pub, TEXT, 'not a signature'), { valid: false, native: undefined });
  // Text after the armor: openpgp.js tolerates it; the native path leaves the call to it.
  assert.equal((await both(pub, TEXT, `${sig}trailing`)).native, undefined);

  // A v6 key (RFC 9580) is not on the native path at all; openpgp.js verifies its v6 signatures.
  const v6 = await openpgp.generateKey({
    type: 'curve25519',
    userIDs: [{ name: 'v6' }],
    format: 'object',
    config: { v6Keys: true },
  });
  const v6Pub = await readAgentPublicKey(v6.publicKey.armor());
  assert.equal(v6Pub.native, undefined);
  assert.equal(await Ed25519Verifier.forKey(v6.publicKey), undefined);
  const v6Signer = await RequestSigner.fromArmored('agent', v6.privateKey.armor());
  const headers = await v6Signer.headersFor('POST', '/api/v1/x', '{}');
  const text = [
    'POST',
    '/api/v1/x',
    'agent',
    headers[SIGNATURE_HEADERS.timestamp],
    headers[SIGNATURE_HEADERS.nonce],
    '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  ].join('\n');
  assert.equal(
    await verifyRequestSignature(v6Pub, text, headers[SIGNATURE_HEADERS.signature]!),
    true,
  );
  assert.equal(
    await verifyRequestSignature(pub, text, headers[SIGNATURE_HEADERS.signature]!),
    false,
  );
});

test('random corruption of a valid signature: native+fallback always agrees with openpgp.js', async () => {
  const { pub, signer } = await fixture();
  const sig = signer.sign(TEXT);
  const length = dearmorSignature(sig)!.length;
  let nativeDecided = 0;
  for (let i = 0; i < 150; i++) {
    const at = randomBytes(2).readUInt16BE(0) % length;
    const flip = 1 + (randomBytes(1)[0]! % 255);
    const corrupted = mutate(sig, (bytes) => (bytes[at] = bytes[at]! ^ flip));
    // both() fails if the native verdict ever differs from openpgp.js (an unhashed byte may be
    // flipped without invalidating the signature: then both accept).
    const r = await both(pub, TEXT, corrupted);
    if (r.native !== undefined) nativeDecided++;
  }
  assert.ok(nativeDecided > 20, `the native path decided ${nativeDecided} of 150 cases itself`);
});
