// A camera-RAW-like file for tests: a real little-endian TIFF structure whose IFD0 carries what
// CR2/NEF/DNG IFD0s carry (Make, Model, Orientation, the preview's size and a
// JPEGInterchangeFormat pointer to the embedded preview JPEG), followed by opaque "sensor data".
// exifr reads its EXIF like a real RAW's; the agent finds the preview the way it does in one.

export interface RawLikeOptions {
  /** The embedded preview (often untagged: the orientation lives in the RAW's IFD0). */
  previewJpeg: Buffer;
  previewWidth: number;
  previewHeight: number;
  orientation?: number;
  make?: string;
  model?: string;
  /** Bytes of fake sensor data after the preview (default 256 KB). */
  sensorBytes?: number;
}

const ASCII = 2;
const SHORT = 3;
const LONG = 4;

export function rawLikeFile(o: RawLikeOptions): Buffer {
  const make = Buffer.from(`${o.make ?? 'Canon'}\0`, 'latin1');
  const model = Buffer.from(`${o.model ?? 'Canon EOS 5D Mark IV'}\0`, 'latin1');
  const entries: [tag: number, type: number, count: number, value: number | Buffer][] = [
    [0x0100, LONG, 1, o.previewWidth],
    [0x0101, LONG, 1, o.previewHeight],
    [0x010f, ASCII, make.length, make],
    [0x0110, ASCII, model.length, model],
    ...(o.orientation
      ? [[0x0112, SHORT, 1, o.orientation] as [number, number, number, number]]
      : []),
    [0x0201, LONG, 1, 0], // JPEGInterchangeFormat, patched below
    [0x0202, LONG, 1, o.previewJpeg.length],
  ];
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  let dataOffset = ifdOffset + ifdSize;
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(entries.length, 0);
  const extra: Buffer[] = [];
  entries.forEach(([tag, type, count, value], i) => {
    const p = 2 + i * 12;
    ifd.writeUInt16LE(tag, p);
    ifd.writeUInt16LE(type, p + 2);
    ifd.writeUInt32LE(count, p + 4);
    if (Buffer.isBuffer(value)) {
      ifd.writeUInt32LE(dataOffset, p + 8);
      extra.push(value);
      dataOffset += value.length;
    } else if (type === SHORT) ifd.writeUInt16LE(value, p + 8);
    else ifd.writeUInt32LE(value, p + 8);
  });
  const jpegOffset = dataOffset + 64;
  const jpegEntry = entries.findIndex(([tag]) => tag === 0x0201);
  ifd.writeUInt32LE(jpegOffset, 2 + jpegEntry * 12 + 8);
  const header = Buffer.from([0x49, 0x49, 42, 0, ifdOffset, 0, 0, 0]);
  const sensor = Buffer.alloc(o.sensorBytes ?? 256 * 1024);
  for (let i = 0; i < sensor.length; i++) sensor[i] = (i * 7919) & 0xfe; // never 0xff: no fake markers
  return Buffer.concat([header, ifd, ...extra, Buffer.alloc(64), o.previewJpeg, sensor]);
}
