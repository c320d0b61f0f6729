// Request signing shared by the agent (signs) and core-server (verifies), docs/protocol.md#identity-enrolment-and-signed-writes.
// The signed text is six lines joined by "\n" with no trailing newline:
//   METHOD, path as received (with /api/v1, no query), agent_id, timestamp, nonce, sha256(body).
// Decision: X-Retaia-Signature carries base64 of the ASCII-armored detached signature, because
// HTTP headers cannot carry the armor's newlines. OpenPGP is touched only here and in the native
// Ed25519 fast path (ed25519-native.ts), which openpgp.js backs for every other key or signature.
import { createHash, randomUUID } from 'node:crypto';
import * as openpgp from 'openpgp';
import { Ed25519Signer, Ed25519Verifier } from './ed25519-native.js';

export const SIGNATURE_HEADERS = {
  agentId: 'x-retaia-agent-id',
  fingerprint: 'x-retaia-openpgp-fingerprint',
  signature: 'x-retaia-signature',
  timestamp: 'x-retaia-signature-timestamp',
  nonce: 'x-retaia-signature-nonce',
} as const;

export interface SigningInput {
  method: string;
  /** Request path including the /api/v1 prefix, without the query string. */
  path: string;
  agentId: string;
  timestamp: string;
  nonce: string;
  body: Uint8Array | string;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3339 UTC with second precision and a `Z`, e.g. 2026-11-23T09:00:00Z. */
export function formatSignatureTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const SIGNATURE_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

export function buildSigningText(input: SigningInput): string {
  return buildSigningTextFromDigest({ ...input, bodySha256: sha256Hex(input.body) });
}

/** Same text, from the body's SHA-256 (lower-case hex): lets a streamed body be signed. */
export function buildSigningTextFromDigest(
  input: Omit<SigningInput, 'body'> & { bodySha256: string },
): string {
  return [
    input.method.toUpperCase(),
    stripQuery(input.path),
    input.agentId,
    input.timestamp,
    input.nonce,
    input.bodySha256,
  ].join('\n');
}

export interface GeneratedAgentKey {
  privateKeyArmored: string;
  publicKeyArmored: string;
  /** v4 fingerprint: 40 upper-case hex characters. */
  fingerprint: string;
}

/** A fresh ed25519 signing key (OpenPGP v4). */
export async function generateAgentKey(userName: string): Promise<GeneratedAgentKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: userName }],
    format: 'armored',
  });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  return {
    privateKeyArmored: privateKey,
    publicKeyArmored: publicKey,
    fingerprint: key.getFingerprint().toUpperCase(),
  };
}

export interface ParsedPublicKey {
  key: openpgp.PublicKey;
  fingerprint: string;
  /** node:crypto verifier for the common Ed25519 case; absent for keys openpgp.js must handle. */
  native?: Ed25519Verifier;
}

/** Parse once per key and keep the result: parsing and the key checks are the expensive part. */
export async function readAgentPublicKey(armored: string): Promise<ParsedPublicKey> {
  const key = await openpgp.readKey({ armoredKey: armored });
  if (key.isPrivate()) throw new Error('expected a public key, got a private key');
  const publicKey = key as openpgp.PublicKey;
  return {
    key: publicKey,
    fingerprint: key.getFingerprint().toUpperCase(),
    native: await Ed25519Verifier.forKey(publicKey),
  };
}

/** Signs requests for one agent identity. Parse the private key once and reuse the signer. */
export class RequestSigner {
  private constructor(
    readonly agentId: string,
    readonly fingerprint: string,
    private readonly privateKey: openpgp.PrivateKey,
    /** node:crypto signer when the key is a plain Ed25519 key (the ones generateAgentKey makes). */
    private readonly native: Ed25519Signer | undefined,
  ) {}

  static async fromArmored(agentId: string, privateKeyArmored: string): Promise<RequestSigner> {
    const privateKey = await openpgp.readPrivateKey({ armoredKey: privateKeyArmored });
    return new RequestSigner(
      agentId,
      privateKey.getFingerprint().toUpperCase(),
      privateKey,
      await Ed25519Signer.forKey(privateKey),
    );
  }

  /** Headers for one HTTP attempt: a fresh nonce and timestamp every call. */
  async headersFor(
    method: string,
    path: string,
    body: Uint8Array | string,
    now: Date = new Date(),
  ): Promise<Record<string, string>> {
    return this.headersForDigest(method, path, sha256Hex(body), now);
  }

  /** Like headersFor, for a body known only by its SHA-256 (streamed multipart parts). */
  async headersForDigest(
    method: string,
    path: string,
    bodySha256: string,
    now: Date = new Date(),
  ): Promise<Record<string, string>> {
    const timestamp = formatSignatureTimestamp(now);
    const nonce = randomUUID();
    const text = buildSigningTextFromDigest({
      method,
      path,
      agentId: this.agentId,
      timestamp,
      nonce,
      bodySha256,
    });
    const armored = this.native
      ? this.native.sign(text)
      : await openpgp.sign({
          message: await openpgp.createMessage({ binary: Buffer.from(text, 'utf8') }),
          signingKeys: this.privateKey,
          detached: true,
          format: 'armored',
        });
    return {
      [SIGNATURE_HEADERS.agentId]: this.agentId,
      [SIGNATURE_HEADERS.fingerprint]: this.fingerprint,
      [SIGNATURE_HEADERS.signature]: Buffer.from(armored, 'utf8').toString('base64'),
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.nonce]: nonce,
    };
  }
}

/**
 * True when `signatureBase64` is a valid detached signature of `text` by the key: natively when
 * the key and the signature fit the Ed25519 fast path, by openpgp.js otherwise.
 */
export async function verifyRequestSignature(
  key: ParsedPublicKey,
  text: string,
  signatureBase64: string,
): Promise<boolean> {
  const native = key.native?.check(text, Buffer.from(signatureBase64, 'base64').toString('utf8'));
  return native ?? verifyDetachedSignature(key.key, text, signatureBase64);
}

/**
 * True when `signatureBase64` is a valid detached signature of `text` by `publicKey`, decided by
 * openpgp.js alone (the reference the native path is tested against).
 */
export async function verifyDetachedSignature(
  publicKey: openpgp.PublicKey,
  text: string,
  signatureBase64: string,
): Promise<boolean> {
  try {
    const armoredSignature = Buffer.from(signatureBase64, 'base64').toString('utf8');
    const signature = await openpgp.readSignature({ armoredSignature });
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: Buffer.from(text, 'utf8') }),
      signature,
      verificationKeys: publicKey,
      expectSigned: true,
    });
    const first = result.signatures[0];
    if (!first) return false;
    await first.verified;
    return true;
  } catch {
    return false;
  }
}
