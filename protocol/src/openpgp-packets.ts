// The few OpenPGP wire structures the native Ed25519 path needs (RFC 9580): ASCII armor with its
// CRC-24, packet framing, and the v4 signature packet with its hash trailer. Anything outside
// this narrow shape parses to `undefined`, so callers hand it to openpgp.js, which stays the
// reference implementation for every other case.

const SIGNATURE_TAG = 2;

/** CRC-24 of RFC 9580 §6.1 (the armor checksum line). */
function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** `-----BEGIN PGP SIGNATURE-----` armor around `data`, with a checksum line for old readers. */
export function armorSignature(data: Uint8Array): string {
  const b64 = Buffer.from(data).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  const crc = crc24(data);
  const sum = Buffer.from([crc >> 16, (crc >> 8) & 0xff, crc & 0xff]).toString('base64');
  return [
    '-----BEGIN PGP SIGNATURE-----',
    '',
    ...lines,
    `=${sum}`,
    '-----END PGP SIGNATURE-----',
    '',
  ].join('\n');
}

/**
 * The binary body of one armored signature block. Armor headers are skipped; the checksum line
 * is ignored (RFC 9580 §6.1: it must not be the reason to reject; the signature itself is
 * authenticated). Undefined for anything that is not exactly one such block.
 */
export function dearmorSignature(armored: string): Uint8Array | undefined {
  const lines = armored.trim().split(/\r?\n/);
  if (lines[0]?.trim() !== '-----BEGIN PGP SIGNATURE-----') return undefined;
  if (lines.at(-1)?.trim() !== '-----END PGP SIGNATURE-----') return undefined;
  let i = 1;
  while (i < lines.length - 1 && lines[i]!.trim() !== '') {
    if (!/^[A-Za-z]+: /.test(lines[i]!)) return undefined; // not an armor header
    i++;
  }
  let b64 = '';
  for (i++; i < lines.length - 1; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith('=')) break;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line)) return undefined;
    b64 += line;
  }
  const bytes = Buffer.from(b64, 'base64');
  return bytes.length > 0 ? new Uint8Array(bytes) : undefined;
}

/** The body of the single signature packet `data` holds; undefined for any other framing. */
function signaturePacketBody(data: Uint8Array): Uint8Array | undefined {
  const first = data[0];
  if (first === undefined || (first & 0x80) === 0) return undefined;
  let offset: number;
  let length: number;
  if (first & 0x40) {
    // New format: tag in the low six bits, then a one/two/five-octet length.
    if ((first & 0x3f) !== SIGNATURE_TAG || data.length < 2) return undefined;
    const l0 = data[1]!;
    if (l0 < 192) [offset, length] = [2, l0];
    else if (l0 < 224 && data.length >= 3)
      [offset, length] = [3, ((l0 - 192) << 8) + data[2]! + 192];
    else if (l0 === 255 && data.length >= 6)
      [offset, length] = [6, Buffer.from(data.subarray(2, 6)).readUInt32BE(0)];
    else return undefined; // partial body lengths are not used for signatures
  } else {
    // Old format: tag in bits 5..2, length type in bits 1..0.
    if (((first >> 2) & 0x0f) !== SIGNATURE_TAG) return undefined;
    const lengthType = first & 0x03;
    const size = [1, 2, 4][lengthType];
    if (size === undefined || data.length < 1 + size) return undefined;
    offset = 1 + size;
    length = Buffer.from(data.subarray(1, offset)).readUIntBE(0, size);
  }
  if (offset + length !== data.length) return undefined; // exactly one packet, nothing after it
  return data.subarray(offset);
}

export interface Subpacket {
  type: number;
  critical: boolean;
  body: Uint8Array;
}

export interface V4Signature {
  signatureType: number;
  publicKeyAlgorithm: number;
  hashAlgorithm: number;
  /** Version octet through the end of the hashed subpackets: what the hash covers after the data. */
  hashedPart: Uint8Array;
  hashed: Subpacket[];
  unhashed: Subpacket[];
  left16: Uint8Array;
  /** The algorithm-specific signature fields, unparsed. */
  material: Uint8Array;
}

function readSubpackets(area: Uint8Array): Subpacket[] | undefined {
  const out: Subpacket[] = [];
  let i = 0;
  while (i < area.length) {
    const l0 = area[i]!;
    let len: number;
    if (l0 < 192) [len, i] = [l0, i + 1];
    else if (l0 < 255) [len, i] = [((l0 - 192) << 8) + (area[i + 1] ?? 0) + 192, i + 2];
    else [len, i] = [Buffer.from(area.subarray(i + 1, i + 5)).readUInt32BE(0), i + 5];
    if (len < 1 || i + len > area.length) return undefined;
    out.push({
      type: area[i]! & 0x7f,
      critical: (area[i]! & 0x80) !== 0,
      body: area.subarray(i + 1, i + len),
    });
    i += len;
  }
  return out;
}

/** A version 4 signature packet; undefined for v3/v5/v6 or malformed input. */
export function parseV4Signature(binary: Uint8Array): V4Signature | undefined {
  const body = signaturePacketBody(binary);
  if (!body || body.length < 6 || body[0] !== 4) return undefined;
  const view = Buffer.from(body.buffer, body.byteOffset, body.length);
  const hashedLen = view.readUInt16BE(4);
  const unhashedAt = 6 + hashedLen;
  if (unhashedAt + 2 > body.length) return undefined;
  const unhashedLen = view.readUInt16BE(unhashedAt);
  const left16At = unhashedAt + 2 + unhashedLen;
  if (left16At + 2 > body.length) return undefined;
  const hashed = readSubpackets(body.subarray(6, unhashedAt));
  const unhashed = readSubpackets(body.subarray(unhashedAt + 2, left16At));
  if (!hashed || !unhashed) return undefined;
  return {
    signatureType: body[1]!,
    publicKeyAlgorithm: body[2]!,
    hashAlgorithm: body[3]!,
    hashedPart: body.subarray(0, unhashedAt),
    hashed,
    unhashed,
    left16: body.subarray(left16At, left16At + 2),
    material: body.subarray(left16At + 2),
  };
}

/** The v4 trailer hashed after the signed data and the hashed part: 0x04 0xFF, then its length. */
export function v4HashTrailer(hashedPart: Uint8Array): Uint8Array {
  const trailer = Buffer.alloc(6);
  trailer[0] = 0x04;
  trailer[1] = 0xff;
  trailer.writeUInt32BE(hashedPart.length, 2);
  return trailer;
}

function encodeSubpackets(list: Subpacket[]): Buffer {
  return Buffer.concat(
    list.map((s) => {
      if (s.body.length + 1 >= 192) throw new Error('subpacket too long for this encoder');
      return Buffer.concat([
        Buffer.from([s.body.length + 1, s.type | (s.critical ? 0x80 : 0)]),
        s.body,
      ]);
    }),
  );
}

/** The hashed part of a v4 signature (what `v4HashTrailer` measures). */
export function encodeV4HashedPart(
  fields: Pick<V4Signature, 'signatureType' | 'publicKeyAlgorithm' | 'hashAlgorithm' | 'hashed'>,
): Buffer {
  const subpackets = encodeSubpackets(fields.hashed);
  const head = Buffer.from([
    4,
    fields.signatureType,
    fields.publicKeyAlgorithm,
    fields.hashAlgorithm,
    0,
    0,
  ]);
  head.writeUInt16BE(subpackets.length, 4);
  return Buffer.concat([head, subpackets]);
}

/** A whole signature packet (new-format framing) from its hashed part and the rest. */
export function encodeV4SignaturePacket(
  hashedPart: Uint8Array,
  unhashed: Subpacket[],
  left16: Uint8Array,
  material: Uint8Array,
): Buffer {
  const unhashedBytes = encodeSubpackets(unhashed);
  const unhashedLen = Buffer.alloc(2);
  unhashedLen.writeUInt16BE(unhashedBytes.length);
  const body = Buffer.concat([hashedPart, unhashedLen, unhashedBytes, left16, material]);
  const header =
    body.length < 192
      ? Buffer.from([0xc0 | SIGNATURE_TAG, body.length])
      : Buffer.from([
          0xc0 | SIGNATURE_TAG,
          ((body.length - 192) >> 8) + 192,
          (body.length - 192) & 0xff,
        ]);
  return Buffer.concat([header, body]);
}

/** OpenPGP multiprecision integer: a two-octet bit count, then the big-endian value. */
export function encodeMpi(value: Uint8Array): Buffer {
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  const bytes = value.subarray(start);
  const bits = bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0]!));
  return Buffer.concat([Buffer.from([bits >> 8, bits & 0xff]), bytes]);
}

/** Reads consecutive MPIs; undefined if the data is not exactly `count` of them. */
export function readMpis(data: Uint8Array, count: number): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let i = 0;
  for (let n = 0; n < count; n++) {
    if (i + 2 > data.length) return undefined;
    const bytes = Math.ceil(((data[i]! << 8) | data[i + 1]!) / 8);
    if (i + 2 + bytes > data.length) return undefined;
    out.push(data.subarray(i + 2, i + 2 + bytes));
    i += 2 + bytes;
  }
  return i === data.length ? out : undefined;
}
