// Ed25519 OpenPGP request signatures through node:crypto instead of openpgp.js.
//
// Why: verifying with openpgp.js (armor, packet objects, WebCrypto round trips) was a quarter of
// core-server's CPU under agent load, and signing with it dominated the agents' own CPU. The
// signatures stay standard OpenPGP v4 detached binary signatures (RFC 9580 §5.2.4): Ed25519
// signs the digest of (data || hashed part || 0x04 0xFF || length), the same bytes openpgp.js
// signs, so either implementation verifies what the other made (signing.test.ts checks both ways).
//
// The native path only takes the common, fully understood shape: a v4 binary signature by the
// primary Ed25519 key (legacy EdDSA or RFC 9580 Ed25519) of a v4 key that was valid for signing
// when parsed, SHA-256/384/512, no critical subpacket other than the creation time, no signature
// expiry, created no earlier than the key and not in the future. Everything else (v5/v6
// signatures, text signatures, subkeys, other algorithms, odd framing) goes to openpgp.js, which
// decides as it always did; so the fast path can only agree with the reference or be stricter.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type * as openpgp from 'openpgp';
import {
  armorSignature,
  dearmorSignature,
  encodeMpi,
  encodeV4HashedPart,
  encodeV4SignaturePacket,
  parseV4Signature,
  readMpis,
  v4HashTrailer,
  type V4Signature,
} from './openpgp-packets.js';

const EDDSA_LEGACY = 22;
const ED25519 = 27;
const ED25519_LEGACY_OID = '2b06010401da470f01';
const BINARY_DOCUMENT = 0x00;
const SUBPACKET = { created: 2, expires: 3, issuerKeyId: 16, issuerFingerprint: 33 } as const;
/** RFC 9580 hash ids this path computes itself; weaker or exotic ones go to openpgp.js. */
const NODE_HASH: Record<number, string> = { 8: 'sha256', 9: 'sha384', 10: 'sha512' };
const SIGNING_HASH = 10; // SHA-512, what openpgp.js picks for these keys

/** The parts of openpgp.js's key packet this module reads (not in its public typings). */
interface KeyPacketFields {
  version: number;
  algorithm: number;
  created: Date;
  publicParams: { oid?: { toHex(): string }; Q?: Uint8Array; A?: Uint8Array };
  privateParams?: { seed?: Uint8Array };
}

interface Ed25519Material {
  algorithm: number;
  /** Raw 32-byte public point. */
  publicKey: Uint8Array;
  fingerprint: Buffer;
  keyId: Buffer;
  createdMs: number;
}

/** The primary key's Ed25519 material, or undefined when this key is not a plain v4 Ed25519 key. */
function ed25519Material(key: openpgp.Key): Ed25519Material | undefined {
  const packet = key.keyPacket as unknown as KeyPacketFields;
  if (packet.version !== 4) return undefined;
  let publicKey: Uint8Array | undefined;
  if (packet.algorithm === EDDSA_LEGACY) {
    const q = packet.publicParams.Q;
    if (packet.publicParams.oid?.toHex() !== ED25519_LEGACY_OID) return undefined;
    if (q?.length === 33 && q[0] === 0x40) publicKey = q.subarray(1);
  } else if (packet.algorithm === ED25519 && packet.publicParams.A?.length === 32) {
    publicKey = packet.publicParams.A;
  }
  if (!publicKey) return undefined;
  const fingerprint = Buffer.from(key.getFingerprint(), 'hex');
  return {
    algorithm: packet.algorithm,
    publicKey,
    fingerprint,
    keyId: fingerprint.subarray(12), // a v4 key id is the low 64 bits of the fingerprint
    createdMs: packet.created.getTime(),
  };
}

/** True when openpgp.js itself accepts the primary key as a signing key right now. */
async function primaryKeySigns(key: openpgp.Key): Promise<boolean> {
  try {
    const signing = await key.getSigningKey(key.getKeyID());
    return signing.getKeyID().equals(key.getKeyID());
  } catch {
    return false;
  }
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

function digest(sig: Pick<V4Signature, 'hashAlgorithm' | 'hashedPart'>, text: string): Buffer {
  return createHash(NODE_HASH[sig.hashAlgorithm]!)
    .update(text, 'utf8')
    .update(sig.hashedPart)
    .update(v4HashTrailer(sig.hashedPart))
    .digest();
}

function leftPad32(bytes: Uint8Array): Buffer | undefined {
  if (bytes.length > 32) return undefined;
  return Buffer.concat([Buffer.alloc(32 - bytes.length), bytes]);
}

export type VerifyPath = 'native' | 'openpgp';

/** Verifies request signatures by one public key; built once per registered key and cached. */
export class Ed25519Verifier {
  private constructor(
    private readonly material: Ed25519Material,
    private readonly publicKey: KeyObject,
    /** Key expiry (ms since epoch, Infinity when none), as openpgp.js reads it. */
    private readonly expiresMs: number,
  ) {}

  /** Undefined when the key is not eligible for the native path (openpgp.js handles it). */
  static async forKey(key: openpgp.PublicKey): Promise<Ed25519Verifier | undefined> {
    const material = ed25519Material(key);
    if (!material || !(await primaryKeySigns(key))) return undefined;
    const expiry = await key.getExpirationTime();
    const expiresMs = expiry instanceof Date ? expiry.getTime() : Infinity;
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: b64url(material.publicKey) },
      format: 'jwk',
    });
    return new Ed25519Verifier(material, publicKey, expiresMs);
  }

  /**
   * `valid` when the signature verifies natively; `undefined` when this signature is outside the
   * native path and must be decided by openpgp.js.
   */
  check(text: string, armored: string, nowMs = Date.now()): boolean | undefined {
    const binary = dearmorSignature(armored);
    const sig = binary && parseV4Signature(binary);
    if (!sig || !this.accepts(sig, nowMs)) return undefined;
    let raw: Buffer | undefined;
    if (sig.publicKeyAlgorithm === EDDSA_LEGACY) {
      const rs = readMpis(sig.material, 2);
      const r = rs && leftPad32(rs[0]!);
      const s = rs && leftPad32(rs[1]!);
      if (!r || !s) return undefined;
      raw = Buffer.concat([r, s]);
    } else {
      if (sig.material.length !== 64) return undefined;
      raw = Buffer.from(sig.material);
    }
    const hash = digest(sig, text);
    if (hash[0] !== sig.left16[0] || hash[1] !== sig.left16[1]) return false;
    return verify(null, hash, this.publicKey, raw);
  }

  /** The signature's metadata says the native path gives the same answer as openpgp.js. */
  private accepts(sig: V4Signature, nowMs: number): boolean {
    const m = this.material;
    if (sig.signatureType !== BINARY_DOCUMENT || sig.publicKeyAlgorithm !== m.algorithm)
      return false;
    if (!NODE_HASH[sig.hashAlgorithm] || nowMs >= this.expiresMs) return false;
    let createdMs: number | undefined;
    let issued = false;
    for (const p of sig.hashed) {
      if (p.critical && p.type !== SUBPACKET.created) return false;
      if (p.type === SUBPACKET.expires) return false;
      if (p.type === SUBPACKET.created && p.body.length === 4)
        createdMs = Buffer.from(p.body).readUInt32BE(0) * 1000;
    }
    // The issuer must name this primary key (by id or fingerprint); a subkey goes to openpgp.js.
    for (const p of [...sig.hashed, ...sig.unhashed]) {
      if (p.type === SUBPACKET.issuerKeyId) {
        if (!m.keyId.equals(p.body)) return false;
        issued = true;
      } else if (p.type === SUBPACKET.issuerFingerprint) {
        if (p.body[0] !== 4 || !m.fingerprint.equals(p.body.subarray(1))) return false;
        issued = true;
      }
    }
    return issued && createdMs !== undefined && createdMs >= m.createdMs && createdMs <= nowMs;
  }
}

/** Signs request text with one Ed25519 private key; the output is an armored v4 signature. */
export class Ed25519Signer {
  private constructor(
    private readonly material: Ed25519Material,
    private readonly privateKey: KeyObject,
  ) {}

  /** Undefined when the key is not an unlocked v4 Ed25519 primary signing key. */
  static async forKey(key: openpgp.PrivateKey): Promise<Ed25519Signer | undefined> {
    const material = ed25519Material(key);
    const seed = (key.keyPacket as unknown as KeyPacketFields).privateParams?.seed;
    if (!material || seed?.length !== 32 || !key.isDecrypted() || !(await primaryKeySigns(key)))
      return undefined;
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: b64url(material.publicKey), d: b64url(seed) },
      format: 'jwk',
    });
    return new Ed25519Signer(material, privateKey);
  }

  sign(text: string, nowMs = Date.now()): string {
    const m = this.material;
    const created = Buffer.alloc(4);
    created.writeUInt32BE(Math.floor(nowMs / 1000));
    const hashedPart = encodeV4HashedPart({
      signatureType: BINARY_DOCUMENT,
      publicKeyAlgorithm: m.algorithm,
      hashAlgorithm: SIGNING_HASH,
      hashed: [
        { type: SUBPACKET.created, critical: true, body: created },
        {
          type: SUBPACKET.issuerFingerprint,
          critical: false,
          body: Buffer.concat([Buffer.from([4]), m.fingerprint]),
        },
      ],
    });
    const hash = digest({ hashAlgorithm: SIGNING_HASH, hashedPart }, text);
    const raw = sign(null, hash, this.privateKey);
    const material =
      m.algorithm === EDDSA_LEGACY
        ? Buffer.concat([encodeMpi(raw.subarray(0, 32)), encodeMpi(raw.subarray(32))])
        : raw;
    const packet = encodeV4SignaturePacket(
      hashedPart,
      [{ type: SUBPACKET.issuerKeyId, critical: false, body: m.keyId }],
      hash.subarray(0, 2),
      material,
    );
    return armorSignature(packet);
  }
}
