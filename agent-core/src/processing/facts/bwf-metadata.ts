// Reads recorder metadata from a (broadcast-)WAV file's `bext` and `iXML` chunks: field
// recorders (Sound Devices, Zoom, RODE…) put their model and the recording date there. ffmpeg
// exposes iXML not at all and bext under version-dependent tag names (5.1 even turns
// OriginationTime into "creation_time"), so we walk the RIFF chunk headers ourselves, reading only
// headers and the small metadata payloads, never the audio.
import { open } from 'node:fs/promises';

const MAX_CHUNK_BYTES = 1024 * 1024;

export interface BwfMetadata {
  recorderModel?: string;
  /** "YYYY-MM-DD" and "HH:MM:SS" as written by the recorder (no zone). */
  date?: string;
  time?: string;
}

function xmlTag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]{1,200})</${name}>`, 'i').exec(xml);
  return m?.[1]?.trim() || undefined;
}

function fixedString(buf: Buffer, start: number, len: number): string | undefined {
  const s = buf
    .toString('latin1', start, start + len)
    .replace(/\0.*$/s, '')
    .trim();
  return s || undefined;
}

export async function readBwfMetadata(path: string): Promise<BwfMetadata | undefined> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    await fh.read(head, 0, 12, 0);
    const riff = head.toString('latin1', 0, 4);
    if ((riff !== 'RIFF' && riff !== 'RF64') || head.toString('latin1', 8, 12) !== 'WAVE')
      return undefined;
    const size = (await fh.stat()).size;
    const hdr = Buffer.alloc(8);
    const bext: BwfMetadata = {};
    const ixml: BwfMetadata = {};
    let found = false;
    for (let pos = 12; pos + 8 <= size;) {
      await fh.read(hdr, 0, 8, pos);
      const id = hdr.toString('latin1', 0, 4);
      const len = hdr.readUInt32LE(4);
      // RF64 stores big sizes in ds64 and writes 0xFFFFFFFF here; metadata usually precedes data.
      if (len === 0xffffffff) break;
      if (id === 'bext' || id === 'iXML') {
        const body = Buffer.alloc(Math.min(len, MAX_CHUNK_BYTES));
        await fh.read(body, 0, body.length, pos + 8);
        found = true;
        if (id === 'bext' && body.length >= 346) {
          const originator = fixedString(body, 256, 32);
          const date = fixedString(body, 320, 10);
          const time = fixedString(body, 330, 8);
          if (originator) bext.recorderModel = originator;
          if (date) bext.date = date;
          if (time) bext.time = time;
        } else if (id === 'iXML') {
          const xml = body.toString('utf8');
          const model =
            xmlTag(xml, 'BWF_ORIGINATOR') ??
            xmlTag(xml, 'RECORDER_MODEL') ??
            xmlTag(xml, 'DEVICE_MODEL');
          const date = xmlTag(xml, 'BWF_ORIGINATION_DATE');
          const time = xmlTag(xml, 'BWF_ORIGINATION_TIME');
          if (model) ixml.recorderModel = model;
          if (date) ixml.date = date;
          if (time) ixml.time = time;
        }
      }
      pos += 8 + len + (len & 1);
    }
    // bext is the standard place; iXML fills what bext leaves empty.
    return found ? { ...ixml, ...bext } : undefined;
  } finally {
    await fh.close();
  }
}
