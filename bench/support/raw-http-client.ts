// The load bench's agents talk to the server through this: one keep-alive HTTP/1.1 connection per
// agent, one request at a time, requests written as text and answers read by Content-Length or
// chunked framing. fetch cost the agents' process ~2.8 ms of CPU per claim+submit, more than the
// server it was meant to load: with both on 2 cores, the server was never kept busy and the bench
// measured a half-idle server (which pays more per request than a busy one).
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class RawHttpConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting?: { resolve: (r: RawResponse) => void; reject: (e: Error) => void };

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      this.tryAnswer();
    });
    const fail = (err: Error) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(url: string): Promise<RawHttpConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () =>
        resolve(new RawHttpConnection(socket, `${hostname}:${port}`)),
      );
      socket.once('error', reject);
    });
  }

  /** `headers` are complete lines, each ending in \r\n. */
  request(method: string, path: string, headers = '', body = ''): Promise<RawResponse> {
    if (this.waiting) throw new Error('one request at a time per connection');
    const length = method === 'GET' ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
    this.socket.write(
      `${method} ${path} HTTP/1.1\r\nhost: ${this.host}\r\n${headers}${length}\r\n${body}`,
    );
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  close(): void {
    this.socket.destroy();
  }

  private tryAnswer(): void {
    if (!this.waiting) return;
    const end = this.buffered.indexOf(HEADER_END);
    if (end === -1) return;
    const head = this.buffered.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const lengthMatch = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body: string | undefined;
    let used = 0;
    if (lengthMatch) {
      const length = Number(lengthMatch[1]);
      if (this.buffered.length < end + 4 + length) return;
      body = this.buffered.toString('utf8', end + 4, end + 4 + length);
      used = end + 4 + length;
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const chunked = readChunked(this.buffered, end + 4);
      if (!chunked) return;
      [body, used] = chunked;
    } else {
      body = '';
      used = end + 4;
    }
    this.buffered = this.buffered.subarray(used);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve({ status, body });
  }
}

/** The body of a chunked answer starting at `from`, and where it ends; undefined until complete. */
function readChunked(buf: Buffer, from: number): [string, number] | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
    const dataStart = lineEnd + 2;
    if (buf.length < dataStart + size + 2) return undefined;
    if (size === 0) return [Buffer.concat(parts).toString('utf8'), dataStart + 2];
    parts.push(buf.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}
