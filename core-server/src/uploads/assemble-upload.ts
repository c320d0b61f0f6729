// Concatenates the parts of an upload into one file, streaming, and returns its size and hash.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';

export async function assembleParts(
  partFiles: string[],
  target: string,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const out = createWriteStream(target);
  let size = 0;
  try {
    for (const file of partFiles) {
      for await (const chunk of createReadStream(file)) {
        const buf = chunk as Buffer;
        hash.update(buf);
        size += buf.length;
        if (!out.write(buf)) await once(out, 'drain');
      }
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { size, sha256: hash.digest('hex') };
}
