// Real HEIC files for tests, made with `heif-enc` (Debian libheif-examples), plus the two things
// heif-enc 1.15 cannot write, added by editing the container's boxes: a depth map (an auxiliary
// image with the HEVC depth URN, linked to the primary by an `auxl` reference, as iPhone
// Portrait photos carry) and a rotation (`irot`, as iPhones store portrait shots).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const heifEncPath = ['/usr/bin/heif-enc', '/usr/local/bin/heif-enc'].find((p) =>
  existsSync(p),
);
export const heifEncSkip = heifEncPath
  ? false
  : 'heif-enc (apt libheif-examples) not installed: cannot make HEIC fixtures';

/** Encodes one or more images (PNG/JPEG; JPEG EXIF is kept) into one HEIC. */
export function heifEnc(output: string, inputs: string[], quality = 50): string {
  execFileSync(heifEncPath!, ['-q', String(quality), '-o', output, ...inputs], { stdio: 'pipe' });
  return output;
}

interface Box {
  type: string;
  start: number;
  end: number;
  header: number;
}

function children(buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  for (let p = start; p + 8 <= end;) {
    const size = buf.readUInt32BE(p);
    if (size < 8 || p + size > end) throw new Error(`bad box at ${p}`);
    out.push({ type: buf.toString('latin1', p + 4, p + 8), start: p, end: p + size, header: 8 });
    p += size;
  }
  return out;
}

function box(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

const fullBox = (type: string, version: number, flags: number, payload: Buffer) =>
  box(
    type,
    Buffer.concat([Buffer.from([version, flags >> 16, (flags >> 8) & 255, flags & 255]), payload]),
  );

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);

/** Image item ids (hvc1/grid) in iinf order and the primary item id. */
function images(buf: Buffer, meta: Box[]): { ids: number[]; primary: number } {
  const pitm = meta.find((b) => b.type === 'pitm')!;
  const primary = buf.readUInt16BE(pitm.start + 12);
  const iinf = meta.find((b) => b.type === 'iinf')!;
  const version = buf[iinf.start + 8]!;
  const ids: number[] = [];
  for (const infe of children(buf, iinf.start + 12 + (version === 0 ? 2 : 4), iinf.end)) {
    const id = buf.readUInt16BE(infe.start + 12);
    const type = buf.toString('latin1', infe.start + 16, infe.start + 20);
    if (type === 'hvc1' || type === 'grid') ids.push(id);
  }
  return { ids, primary };
}

/**
 * Rewrites `path` with a new property associated to `item` and, optionally, a new item reference.
 * Keeps every item's data where it is by shifting iloc offsets by the growth of `meta`.
 */
function edit(
  path: string,
  pick: (ids: number[], primary: number) => { item: number; property: Buffer; ref?: Buffer },
): void {
  const buf = readFileSync(path);
  const top = children(buf, 0, buf.length);
  const metaBox = top.find((b) => b.type === 'meta')!;
  const meta = children(buf, metaBox.start + 12, metaBox.end);
  const { ids, primary } = images(buf, meta);
  const change = pick(ids, primary);
  const iprp = meta.find((b) => b.type === 'iprp')!;
  const [ipco, ipma] = ['ipco', 'ipma'].map((t) =>
    children(buf, iprp.start + 8, iprp.end).find((b) => b.type === t)!,
  ) as [Box, Box];
  const propCount = children(buf, ipco.start + 8, ipco.end).length;
  const newIpco = box(
    'ipco',
    Buffer.concat([buf.subarray(ipco.start + 8, ipco.end), change.property]),
  );
  // ipma (version 0, 7-bit indexes): rebuild with one more association for the item.
  const flags = buf.readUInt32BE(ipma.start + 8) & 0xffffff;
  if (buf[ipma.start + 8] !== 0 || flags & 1) throw new Error('unexpected ipma layout');
  const entries: Buffer[] = [];
  let p = ipma.start + 16;
  const count = buf.readUInt32BE(ipma.start + 12);
  for (let i = 0; i < count; i++) {
    const id = buf.readUInt16BE(p);
    const n = buf[p + 2]!;
    const assoc = [...buf.subarray(p + 3, p + 3 + n)];
    p += 3 + n;
    if (id === change.item) assoc.push(0x80 | (propCount + 1));
    entries.push(Buffer.concat([u16(id), Buffer.from([assoc.length, ...assoc])]));
  }
  const countBuf = Buffer.alloc(4);
  countBuf.writeUInt32BE(count);
  const newIpma = fullBox('ipma', 0, 0, Buffer.concat([countBuf, ...entries]));
  const newIprp = box('iprp', Buffer.concat([newIpco, newIpma]));
  const parts: Buffer[] = [];
  let hasIref = false;
  for (const b of meta) {
    if (b.type === 'iprp') parts.push(newIprp);
    else if (b.type === 'iref' && change.ref) {
      hasIref = true;
      parts.push(Buffer.concat([buf.subarray(b.start, b.end), change.ref]));
      parts[parts.length - 1]!.writeUInt32BE(parts[parts.length - 1]!.length);
    } else parts.push(buf.subarray(b.start, b.end));
  }
  if (change.ref && !hasIref) parts.push(fullBox('iref', 0, 0, change.ref));
  const newMeta = fullBox('meta', 0, 0, Buffer.concat(parts));
  const delta = newMeta.length - (metaBox.end - metaBox.start);
  shiftIloc(newMeta, delta);
  writeFileSync(
    path,
    Buffer.concat([buf.subarray(0, metaBox.start), newMeta, buf.subarray(metaBox.end)]),
  );
}

/** Adds `delta` to every file offset in the iloc box inside `meta` (data lives after meta). */
function shiftIloc(meta: Buffer, delta: number): void {
  const iloc = children(meta, 12, meta.length).find((b) => b.type === 'iloc')!;
  const version = meta[iloc.start + 8]!;
  let p = iloc.start + 12;
  const offsetSize = meta[p]! >> 4;
  const lengthSize = meta[p]! & 15;
  const baseSize = meta[p + 1]! >> 4;
  const indexSize = version >= 1 ? meta[p + 1]! & 15 : 0;
  p += 2;
  const count = version < 2 ? meta.readUInt16BE(p) : meta.readUInt32BE(p);
  p += version < 2 ? 2 : 4;
  const add = (at: number, size: number) => {
    if (size === 4) meta.writeUInt32BE(meta.readUInt32BE(at) + delta, at);
    else if (size === 8) meta.writeBigUInt64BE(meta.readBigUInt64BE(at) + BigInt(delta), at);
  };
  for (let i = 0; i < count; i++) {
    p += version < 2 ? 2 : 4;
    let method = 0;
    if (version >= 1) {
      method = meta.readUInt16BE(p) & 15;
      p += 2;
    }
    p += 2;
    if (method === 0 && baseSize) add(p, baseSize);
    p += baseSize;
    const extents = meta.readUInt16BE(p);
    p += 2;
    for (let e = 0; e < extents; e++) {
      p += indexSize;
      if (method === 0 && !baseSize) add(p, offsetSize);
      p += offsetSize + lengthSize;
    }
  }
}

/**
 * Turns the second image of a two-image HEIC into the depth map of the first (heif-enc with a
 * color and a grayscale input makes such a file).
 */
export function makeSecondImageDepthMap(path: string): void {
  edit(path, (ids, primary) => {
    const depth = ids.find((id) => id !== primary)!;
    const urn = Buffer.from('urn:mpeg:hevc:2015:auxid:2\0', 'latin1');
    return {
      item: depth,
      property: fullBox('auxC', 0, 0, urn),
      ref: box('auxl', Buffer.concat([u16(depth), u16(1), u16(primary)])),
    };
  });
}

/** Adds an `irot` (counter-clockwise quarter turns) to the primary image. */
export function rotatePrimary(path: string, ccwQuarterTurns: 1 | 2 | 3): void {
  edit(path, (_ids, primary) => ({
    item: primary,
    property: box('irot', Buffer.from([ccwQuarterTurns])),
  }));
}
