// A loopback HTTP server serving a generated (random-weight, valid-header) ggml whisper model,
// and a catalogue file listing it for RETAIA_AGENT_MODEL_CATALOGUE, as the CLI tests use.
// `tiny-test` arrives in quarters a little apart, so progress between 0 and 100 % is seen;
// `slow-test` sends 1 KiB and then waits until the test cancels or closes the server.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomWhisperModel } from '@retaia/agent-core/processing/transcription/testing/random-whisper-model.js';

export interface ModelServer {
  /** The catalogue JSON file to point RETAIA_AGENT_MODEL_CATALOGUE at. */
  catalogue: string;
  /** The model's bytes (write them to a file to "add" a model). */
  bytes: Buffer;
  close(): Promise<void>;
}

export async function startModelServer(dir: string, quarterDelayMs = 300): Promise<ModelServer> {
  const file = join(dir, 'ggml-tiny-test.bin');
  await writeRandomWhisperModel(file, { state: 16, layers: 1 });
  const bytes = await readFile(file);
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    res.on('close', () => {
      for (const t of timers) clearTimeout(t);
    });
    if (req.url === '/ggml-tiny-test.bin') {
      res.writeHead(200, { 'content-length': bytes.length });
      const quarter = Math.ceil(bytes.length / 4);
      const send = (i: number) => {
        const chunk = bytes.subarray(i * quarter, (i + 1) * quarter);
        if (i === 3) return void res.end(chunk);
        res.write(chunk);
        const t = setTimeout(() => {
          timers.delete(t);
          send(i + 1);
        }, quarterDelayMs);
        timers.add(t);
      };
      send(0);
      return;
    }
    if (req.url === '/slow.bin') {
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, 1024));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const catalogue = join(dir, 'catalogue.json');
  await writeFile(
    catalogue,
    JSON.stringify([
      {
        name: 'tiny-test',
        description: 'random weights',
        url: `${base}/ggml-tiny-test.bin`,
        sha256,
        sizeBytes: bytes.length,
      },
      {
        name: 'slow-test',
        description: 'never finishes',
        url: `${base}/slow.bin`,
        sha256,
        sizeBytes: bytes.length,
      },
    ]),
  );
  return {
    catalogue,
    bytes,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
