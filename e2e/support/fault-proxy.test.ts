import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { FaultProxy, resetConnection } from './fault-proxy.js';

// One fresh TCP connection per request (no keep-alive pool), so connection faults apply.
function request(port: number, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function withEchoServer(fn: (port: number) => Promise<void>) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => res.end(Buffer.concat(chunks).toString() || 'ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn((server.address() as { port: number }).port);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('fault proxy forwards, delays, resets and cuts as planned', async () => {
  await withEchoServer(async (port) => {
    const proxy = await new FaultProxy(port).start();
    try {
      assert.equal(await request(proxy.port, 'hello'), 'hello');

      proxy.plan = { delayMs: 150 };
      const t0 = Date.now();
      await request(proxy.port);
      assert.ok(Date.now() - t0 >= 150, 'delay applied');

      proxy.plan = { resetOnConnect: 1 };
      await assert.rejects(request(proxy.port));
      assert.ok(proxy.stats.resets >= 1);

      proxy.plan = { cutMidStream: 1, cutWithinBytes: 10 };
      await assert.rejects(request(proxy.port, 'x'.repeat(5000)));
      assert.ok(proxy.stats.cuts >= 1);
    } finally {
      await proxy.stop();
    }
  });
});

test('a connection reset right after end() still closes (the proxy never leaves a socket open)', async () => {
  // Node 20's resetAndDestroy() on a socket whose end() is still in flight fails with EINVAL,
  // never emits 'close', and the process then spins at 100 % CPU in its exit clean-up: the
  // proxy did that when a peer's end and close arrived back to back, and a test file hung.
  const closed = new Promise<boolean>((resolve) => {
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      const timer = setTimeout(() => resolve(false), 3000);
      s.on('close', () => (clearTimeout(timer), resolve(true)));
      s.write(Buffer.alloc(64 * 1024));
      s.end();
      resetConnection(s);
      server.close();
    });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      c.on('error', () => undefined);
      c.resume();
    });
  });
  assert.equal(await closed, true, "the reset socket emitted 'close'");
});
