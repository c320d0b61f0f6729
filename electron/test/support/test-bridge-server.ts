// Serves the built renderer over loopback HTTP and implements `window.retaia` for it with the
// app's own bridge handlers (createBridgeHandlers) over a DaemonControl — fake or real. The
// page gets the bridge from `bridgeInitScript`, which speaks to /bridge/* on the same origin.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { AppPreferences, BridgeEvent, BridgeMethod } from '../../src/shared/bridge-api.js';
import { BRIDGE_METHODS } from '../../src/shared/bridge-channels.js';
import { DEFAULT_PREFERENCES } from '../../src/main/app-preferences.js';
import { createBridgeHandlers } from '../../src/main/bridge-handlers.js';
import type { DaemonControl } from '@retaia/agent-core/runtime/control-protocol.js';
import { DaemonLink } from '../../src/main/daemon-link.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface TestBridge {
  url: string;
  /** Folders the next pickFolder() calls return, in order. */
  pickQueue: string[];
  /** Files the next "Add file…" dialogs return, in order (empty: the user cancels). */
  modelFileQueue: string[];
  clipboard: string[];
  opened: string[];
  /** How many times the page asked to restart the daemon. */
  restarts(): number;
  push(event: BridgeEvent): void;
  close(): Promise<void>;
}

export async function startTestBridge(opts: {
  rendererDir: string;
  daemon: DaemonControl;
  /** What "Restart" does in this harness (e.g. bring a fake daemon back up). */
  onRestart?: () => void | Promise<void>;
  /** Where certificate pins are written (acceptCoreCertificate). */
  agentDataDir?: string;
}): Promise<TestBridge> {
  let prefs: AppPreferences = { ...DEFAULT_PREFERENCES, language: 'en' };
  const pickQueue: string[] = [];
  const modelFileQueue: string[] = [];
  const clipboard: string[] = [];
  const opened: string[] = [];
  let restarts = 0;
  const streams = new Set<ServerResponse>();
  const push = (event: BridgeEvent) => {
    for (const res of streams) res.write(`data: ${JSON.stringify(event)}\n\n`);
  };

  const handlers = createBridgeHandlers(() => opts.daemon, {
    pickFolder: async () => {
      const path = pickQueue.shift();
      return path ? { canceled: false, path } : { canceled: true };
    },
    copyToClipboard: async (text) => void clipboard.push(text),
    openExternal: async (url) => void opened.push(url),
    getPreferences: () => prefs,
    setPreferences: async (patch) => {
      prefs = { ...prefs, ...(patch as Partial<AppPreferences>) };
      push({ type: 'preferences', preferences: prefs });
      return prefs;
    },
    agentDataDir: () => opts.agentDataDir ?? '/nonexistent-agent-data-dir',
    pickModelFile: async () => modelFileQueue.shift(),
    sendEvent: push,
    restartDaemon: async () => {
      restarts += 1;
      await opts.onRestart?.();
    },
  });

  const link = new DaemonLink(
    opts.daemon,
    {
      onStatus: () => undefined,
      onEvent: push,
      onLink: (state, message) => push({ type: 'daemon_link', state, message }),
    },
    { retryMs: 200 },
  );
  link.start();

  const server: Server = createServer((req, res) => void route(req, res));
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/bridge/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': open\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (url.pathname.startsWith('/bridge/') && req.method === 'POST') {
      const method = url.pathname.slice('/bridge/'.length) as BridgeMethod;
      if (!(BRIDGE_METHODS as readonly string[]).includes(method)) {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const args = (JSON.parse(Buffer.concat(chunks).toString('utf8') || '[]') as unknown[]) ?? [];
      try {
        const fn = handlers[method] as (...a: unknown[]) => Promise<unknown>;
        const value = await fn(...args);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: true, value: value ?? null }));
      } catch (err) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) }),
          );
      }
      return;
    }
    const rel = normalize(url.pathname === '/' ? '/index.html' : url.pathname).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    try {
      const body = await readFile(join(opts.rendererDir, rel));
      res
        .writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    pickQueue,
    modelFileQueue,
    clipboard,
    opened,
    restarts: () => restarts,
    push,
    close: async () => {
      await link.stop();
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Defines `window.retaia` in the page before its scripts run: every method POSTs its
 * arguments to /bridge/<method>; events arrive over an EventSource. Runs in the browser.
 */
export function bridgeInitScript(methods: readonly string[] = BRIDGE_METHODS): string {
  return `(() => {
    const methods = ${JSON.stringify(methods)};
    const listeners = new Set();
    const bridge = {};
    for (const m of methods) {
      bridge[m] = async (...args) => {
        const res = await fetch('/bridge/' + m, { method: 'POST', body: JSON.stringify(args) });
        const body = await res.json();
        if (!body.ok) throw new Error(body.error);
        return body.value === null ? undefined : body.value;
      };
    }
    const source = new EventSource('/bridge/events');
    source.onmessage = (e) => { const ev = JSON.parse(e.data); for (const l of listeners) l(ev); };
    bridge.onEvent = (l) => { listeners.add(l); return () => listeners.delete(l); };
    Object.defineProperty(window, 'retaia', { value: Object.freeze(bridge) });
  })();`;
}
