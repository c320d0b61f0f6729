// Reads the structure of a HEIF/HEIC/AVIF file (ISO/IEC 23008-12) without decoding pixels:
// which item is the primary image, how many top-level images there are (bursts/collections),
// whether the primary has alpha or depth planes, its stored size (ispe), rotation/mirror
// (irot/imir) and its EXIF block. libheif's WASM build exposes none of this, and exifr cannot
// find the EXIF of many libheif-written files, so we walk the boxes ourselves. Only the `meta`
// box and the EXIF extents are read, never the coded image data.
import { open, type FileHandle } from 'node:fs/promises';

export interface HeifStructure {
  majorBrand: string;
  brands: string[];
  /** A `moov` track is present (image sequence / HEIF "burst" stored as a track). */
  hasSequenceTrack: boolean;
  /** Still images a viewer would list (thumbnails, alpha/depth planes and grid tiles excluded). */
  topLevelImageCount: number;
  primary?: {
    itemType: string;
    /** Stored size before rotation (ispe). */
    width?: number;
    height?: number;
    /** EXIF-style orientation (1..8) equivalent to the container's irot/imir. */
    orientation: number;
    hasAlpha: boolean;
    hasDepth: boolean;
  };
  /** The TIFF-structured EXIF of the primary image (starts with II*\0 or MM\0*). */
  exifTiff?: Buffer;
}

interface Box {
  type: string;
  /** Offset of the payload (after the size/type header) and of the end, in the buffer. */
  body: number;
  end: number;
}

function* boxes(buf: Buffer, start: number, end: number): Generator<Box> {
  let p = start;
  while (p + 8 <= end) {
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (p + 16 > end) return;
      size = Number(buf.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) size = end - p;
    if (size < header || p + size > end) return;
    yield { type, body: p + header, end: p + size };
    p += size;
  }
}

const child = (buf: Buffer, parent: Box, type: string, fullBox = false) => {
  for (const b of boxes(buf, parent.body + (fullBox ? 4 : 0), parent.end))
    if (b.type === type) return b;
  return undefined;
};

function readUInt(buf: Buffer, p: number, size: number): number {
  if (size === 0) return 0;
  if (size === 2) return buf.readUInt16BE(p);
  if (size === 4) return buf.readUInt32BE(p);
  if (size === 8) return Number(buf.readBigUInt64BE(p));
  throw new Error(`unsupported field size ${size}`);
}

interface Extent {
  offset: number;
  length: number;
  /** 0: file offset, 1: offset inside `idat`. */
  method: number;
}

function parseIloc(buf: Buffer, b: Box): Map<number, Extent[]> {
  const version = buf[b.body]!;
  let p = b.body + 4;
  const offsetSize = buf[p]! >> 4;
  const lengthSize = buf[p]! & 15;
  const baseSize = buf[p + 1]! >> 4;
  const indexSize = version >= 1 ? buf[p + 1]! & 15 : 0;
  p += 2;
  const count = version < 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
  p += version < 2 ? 2 : 4;
  const out = new Map<number, Extent[]>();
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
    p += version < 2 ? 2 : 4;
    let method = 0;
    if (version >= 1) {
      method = buf.readUInt16BE(p) & 15;
      p += 2;
    }
    p += 2; // data_reference_index
    const base = readUInt(buf, p, baseSize);
    p += baseSize;
    const extentCount = buf.readUInt16BE(p);
    p += 2;
    const extents: Extent[] = [];
    for (let e = 0; e < extentCount; e++) {
      p += indexSize;
      const offset = readUInt(buf, p, offsetSize);
      p += offsetSize;
      const length = readUInt(buf, p, lengthSize);
      p += lengthSize;
      extents.push({ offset: base + offset, length, method });
    }
    out.set(id, extents);
  }
  return out;
}

/** item id → type, for visible (not hidden) items; hidden ones are listed with a leading '!'. */
function parseIinf(buf: Buffer, b: Box): Map<number, string> {
  const version = buf[b.body]!;
  const items = new Map<number, string>();
  for (const infe of boxes(buf, b.body + 4 + (version === 0 ? 2 : 4), b.end)) {
    if (infe.type !== 'infe') continue;
    const v = buf[infe.body]!;
    if (v < 2) continue;
    const hidden = (buf[infe.body + 3]! & 1) === 1;
    const p = infe.body + 4;
    const id = v === 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
    const q = p + (v === 2 ? 2 : 4) + 2;
    items.set(id, (hidden ? '!' : '') + buf.toString('latin1', q, q + 4));
  }
  return items;
}

/** Reference type → list of [from, to[]]. */
function parseIref(
  buf: Buffer,
  b: Box | undefined,
): { type: string; from: number; to: number[] }[] {
  if (!b) return [];
  const wide = buf[b.body]! === 1;
  const idSize = wide ? 4 : 2;
  const refs = [];
  for (const r of boxes(buf, b.body + 4, b.end)) {
    let p = r.body;
    const from = readUInt(buf, p, idSize);
    const n = buf.readUInt16BE(p + idSize);
    p += idSize + 2;
    const to: number[] = [];
    for (let i = 0; i < n && p + idSize <= r.end; i++, p += idSize)
      to.push(readUInt(buf, p, idSize));
    refs.push({ type: r.type, from, to });
  }
  return refs;
}

/** item id → its properties (boxes of ipco) in association order. */
function parseProperties(buf: Buffer, iprp: Box | undefined): Map<number, Box[]> {
  const out = new Map<number, Box[]>();
  const ipco = iprp && child(buf, iprp, 'ipco');
  if (!iprp || !ipco) return out;
  const props = [...boxes(buf, ipco.body, ipco.end)];
  for (const ipma of boxes(buf, iprp.body, iprp.end)) {
    if (ipma.type !== 'ipma') continue;
    const version = buf[ipma.body]!;
    const wideIndex = (buf[ipma.body + 3]! & 1) === 1;
    let p = ipma.body + 4;
    const count = buf.readUInt32BE(p);
    p += 4;
    for (let i = 0; i < count; i++) {
      const id = version < 1 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
      p += version < 1 ? 2 : 4;
      const n = buf[p++]!;
      const list = out.get(id) ?? [];
      for (let a = 0; a < n; a++) {
        const index = wideIndex ? buf.readUInt16BE(p) & 0x7fff : buf[p]! & 0x7f;
        p += wideIndex ? 2 : 1;
        const prop = props[index - 1];
        if (prop) list.push(prop);
      }
      out.set(id, list);
    }
  }
  return out;
}

const IMAGE_ITEM_TYPES = new Set([
  'hvc1',
  'av01',
  'grid',
  'iden',
  'iovl',
  'jpeg',
  'unci',
  'j2k1',
  'avc1',
  'vvc1',
  'tmap',
]);
const auxType = (buf: Buffer, props: Box[]) => {
  const auxC = props.find((p) => p.type === 'auxC');
  if (!auxC) return undefined;
  const s = buf.toString('latin1', auxC.body + 4, auxC.end);
  return s.slice(0, s.indexOf('\0') < 0 ? undefined : s.indexOf('\0'));
};

/**
 * EXIF orientation equivalent to HEIF's transformations, applied in association order:
 * irot (counter-clockwise quarter turns) then imir (axis 0 mirrors left↔right, 1 top↔bottom).
 */
export function orientationFromTransforms(buf: Buffer, props: Box[]): number {
  let cw = 0;
  let flipH = false;
  for (const p of props) {
    if (p.type === 'irot') cw = (cw + 360 - (buf[p.body]! & 3) * 90) % 360;
    else if (p.type === 'imir') {
      if ((buf[p.body]! & 1) === 1) cw = (cw + 180) % 360; // top↔bottom = 180° + left↔right
      flipH = !flipH;
    }
  }
  const table: Record<string, number> = {
    '0F': 1,
    '0T': 2,
    '180F': 3,
    '180T': 4,
    '90T': 5,
    '90F': 6,
    '270T': 7,
    '270F': 8,
  };
  return table[`${cw}${flipH ? 'T' : 'F'}`]!;
}

/** Upper bound for the `meta` box we are willing to read (real files: a few KB to ~100 KB). */
const MAX_META_BYTES = 16 * 1024 * 1024;
/** Upper bound for an EXIF block (the format caps APP1 at 64 KB; HEIF allows more). */
const MAX_EXIF_BYTES = 4 * 1024 * 1024;

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/** Parses the container; throws when the file is not ISO-BMFF or its `meta` box is unusable. */
export async function readHeifStructure(path: string): Promise<HeifStructure> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const top: { type: string; offset: number; size: number; header: number }[] = [];
    for (let p = 0; p + 8 <= size && top.length < 1000;) {
      const h = await readAt(fh, p, 16);
      let boxSize = h.readUInt32BE(0);
      let header = 8;
      if (boxSize === 1 && h.length >= 16) {
        boxSize = Number(h.readBigUInt64BE(8));
        header = 16;
      } else if (boxSize === 0) boxSize = size - p;
      if (boxSize < header) break;
      top.push({ type: h.toString('latin1', 4, 8), offset: p, size: boxSize, header });
      p += boxSize;
    }
    const ftyp = top.find((b) => b.type === 'ftyp');
    if (top[0]?.type !== 'ftyp' || !ftyp) throw new Error('no ftyp box: not a HEIF file');
    const ft = await readAt(fh, ftyp.offset, Math.min(ftyp.size, 4096));
    const majorBrand = ft.toString('latin1', 8, 12);
    const brands: string[] = [];
    for (let p = 16; p + 4 <= ft.length; p += 4) brands.push(ft.toString('latin1', p, p + 4));
    const structure: HeifStructure = {
      majorBrand,
      brands,
      hasSequenceTrack: top.some((b) => b.type === 'moov'),
      topLevelImageCount: 0,
    };
    const metaBox = top.find((b) => b.type === 'meta');
    if (!metaBox) return structure;
    if (metaBox.size > MAX_META_BYTES)
      throw new Error(`meta box too large (${metaBox.size} bytes)`);
    const buf = await readAt(fh, metaBox.offset, metaBox.size);
    const meta: Box = { type: 'meta', body: metaBox.header + 4, end: buf.length };
    const pitm = child(buf, meta, 'pitm');
    const iinf = child(buf, meta, 'iinf');
    const iloc = child(buf, meta, 'iloc');
    if (!iinf || !iloc) throw new Error('meta box without iinf/iloc');
    const primaryId = pitm
      ? buf[pitm.body] === 0
        ? buf.readUInt16BE(pitm.body + 4)
        : buf.readUInt32BE(pitm.body + 4)
      : undefined;
    const items = parseIinf(buf, iinf);
    const refs = parseIref(buf, child(buf, meta, 'iref'));
    const props = parseProperties(buf, child(buf, meta, 'iprp'));
    const notTopLevel = new Set<number>();
    for (const r of refs) {
      if (r.type === 'thmb' || r.type === 'auxl' || r.type === 'base') notTopLevel.add(r.from);
      if (r.type === 'dimg') r.to.forEach((id) => notTopLevel.add(id));
    }
    structure.topLevelImageCount = [...items].filter(
      ([id, type]) => IMAGE_ITEM_TYPES.has(type) && !notTopLevel.has(id),
    ).length;
    const primaryType = primaryId !== undefined ? items.get(primaryId) : undefined;
    if (primaryId !== undefined && primaryType) {
      const own = props.get(primaryId) ?? [];
      const ispe = own.find((p) => p.type === 'ispe');
      const aux = refs
        .filter((r) => r.type === 'auxl' && r.to.includes(primaryId))
        .map((r) => auxType(buf, props.get(r.from) ?? []) ?? '');
      structure.primary = {
        itemType: primaryType.replace(/^!/, ''),
        ...(ispe
          ? { width: buf.readUInt32BE(ispe.body + 4), height: buf.readUInt32BE(ispe.body + 8) }
          : {}),
        orientation: orientationFromTransforms(buf, own),
        hasAlpha: aux.some((t) => /auxid:1$|alpha/i.test(t)),
        hasDepth: aux.some((t) => /auxid:2$|depth|disparity/i.test(t)),
      };
    }
    const exifIds = [...items].filter(([, t]) => t.replace(/^!/, '') === 'Exif').map(([id]) => id);
    const exifId =
      exifIds.find((id) =>
        refs.some((r) => r.type === 'cdsc' && r.from === id && r.to.includes(primaryId ?? -1)),
      ) ?? exifIds[0];
    const extents = exifId !== undefined ? parseIloc(buf, iloc).get(exifId) : undefined;
    if (extents?.length) structure.exifTiff = await readExif(fh, buf, meta, extents);
    return structure;
  } finally {
    await fh.close();
  }
}

async function readExif(
  fh: FileHandle,
  meta: Buffer,
  metaBox: Box,
  extents: Extent[],
): Promise<Buffer | undefined> {
  const total = extents.reduce((n, e) => n + e.length, 0);
  if (total < 8 || total > MAX_EXIF_BYTES) return undefined;
  const idat = child(meta, metaBox, 'idat');
  const parts: Buffer[] = [];
  for (const e of extents) {
    if (e.method === 1) {
      if (!idat) return undefined;
      parts.push(meta.subarray(idat.body + e.offset, idat.body + e.offset + e.length));
    } else if (e.method === 0) parts.push(await readAt(fh, e.offset, e.length));
    else return undefined;
  }
  const data = Buffer.concat(parts);
  // Payload: 4-byte offset to the TIFF header (often skipping an "Exif\0\0" prefix).
  const start = 4 + data.readUInt32BE(0);
  const tiff = data.subarray(start);
  const magic = tiff.toString('latin1', 0, 4);
  if (magic === 'II*\0' || magic === 'MM\0*') return Buffer.from(tiff);
  // Some writers put a wrong offset: look for the TIFF header near the start.
  const i = data.indexOf('II*\0', 0, 'latin1');
  const j = data.indexOf('MM\0*', 0, 'latin1');
  const k = [i, j].filter((x) => x >= 0 && x < 64).sort((a, b) => a - b)[0];
  return k === undefined ? undefined : Buffer.from(data.subarray(k));
}
