// Core's certificate changed: the window shows both fingerprints and a Trust button, which pins
// what a real HTTPS server on 127.0.0.1 presents, only if it is the fingerprint shown. Real
// Chromium, real TLS, real pin file; the daemon is the in-memory fake reporting the change.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeCertificateChange } from '@retaia/agent-core/core-api/certificate-change.js';
import { pinCoreCertificate, PIN_FILE_NAME } from '@retaia/agent-core/core-api/core-tls.js';
import {
  makeTestPki,
  type TestCert,
  type TestPki,
} from '../../agent-core/test/support/test-certificates.js';
import { FakeDaemonControl } from './support/fake-daemon-control.js';
import { buildRendererOnce } from './support/renderer-build.js';
import {
  bridgeInitScript,
  startTestBridge,
  type TestBridge,
} from './support/test-bridge-server.js';
import { chromiumSkipReason, launchChromium } from './support/chromium.js';
import { screenshot } from './support/screenshots.js';

const skip = chromiumSkipReason();
const OLD = Array(32).fill('0A').join(':');

describe('desktop: Core certificate changed', { skip }, () => {
  let browser: Browser;
  let bridge: TestBridge;
  let page: Page;
  let server: Server;
  let cert: TestCert;
  let dataDir: string;
  let pki: TestPki | undefined;
  let origin: string;

  before(async () => {
    pki = await makeTestPki();
    cert = await pki.selfSigned('nas-renewed');
    server = createServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dataDir = await mkdtemp(join(tmpdir(), 'cert-pin-'));
    pinCoreCertificate(dataDir, origin, OLD);

    const daemon = new FakeDaemonControl();
    daemon.config.core_url = `${origin}/api/v1`;
    daemon.config.core_ca_file = cert.certPath;
    const snapshot = daemon.snapshot.bind(daemon);
    daemon.snapshot = () => ({
      ...snapshot(),
      state: 'degraded',
      connection: {
        state: 'disconnected',
        since: '2025-01-01T08:00:00Z',
        lastError: describeCertificateChange({ origin, pinned: OLD, presented: cert.sha256 }),
      },
    });
    bridge = await startTestBridge({
      rendererDir: await buildRendererOnce(),
      daemon,
      agentDataDir: dataDir,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
    await page.addInitScript(bridgeInitScript());
    await page.goto(bridge.url);
    await page.getByTestId('certificate-changed').waitFor();
  });

  after(async () => {
    await browser?.close();
    await bridge?.close();
    server?.closeAllConnections();
    server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await pki?.dispose();
  });

  const pinned = async () =>
    (
      JSON.parse(await readFile(join(dataDir, PIN_FILE_NAME), 'utf8')) as Record<
        string,
        { sha256: string }
      >
    )[origin]?.sha256;

  test('attack: the renderer cannot pin a fingerprint Core does not present', async () => {
    const refused = await page.evaluate(async (fp) => {
      try {
        await (
          window as unknown as { retaia: { acceptCoreCertificate(f: string): Promise<unknown> } }
        ).retaia.acceptCoreCertificate(fp);
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    }, Array(32).fill('EE').join(':'));
    assert.match(refused, /presents .* not .*: nothing accepted/);
    assert.equal(await pinned(), OLD);
  });

  test('both fingerprints are shown; Trust pins the presented certificate', async () => {
    assert.equal(await page.getByTestId('certificate-presented').innerText(), cert.sha256);
    assert.match(await page.getByTestId('certificate-changed').innerText(), new RegExp(OLD));
    await screenshot(page, 'certificate-changed');
    await page.getByTestId('certificate-trust').click();
    await page.getByTestId('notice').filter({ hasText: 'New certificate trusted' }).waitFor();
    assert.equal(await pinned(), cert.sha256);
  });
});
