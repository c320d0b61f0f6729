// Attack: a hostile "Core" answers the device-flow start with an approval URL of its choosing
// (file:///etc/passwd, another origin, a URL full of shell metacharacters). `retaia-agent enrol`
// runs for real as a child process with a fake `xdg-open` first on PATH that records its argv,
// so the test sees exactly what would have been launched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { approvalUrlProblem } from '../../src/core-api/approval-url.js';
import { browserLauncher } from '../../src/cli/open-browser.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/retaia-agent.js', import.meta.url));

/** A loopback "Core" whose device flow hands out `approvalUrl(origin)` and then denies. */
async function hostileCore(approvalUrl: (origin: string) => string): Promise<{
  origin: string;
  server: Server;
}> {
  const server = createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    req.resume();
    res.setHeader('content-type', 'application/json');
    if (req.url?.endsWith('/auth/clients/device/start')) {
      res.end(
        JSON.stringify({
          device_code: 'dev-1',
          user_code: 'EVIL-CODE',
          verification_uri: `${origin}/device`,
          verification_uri_complete: approvalUrl(origin),
          expires_in: 60,
          interval: 1,
        }),
      );
    } else if (req.url?.endsWith('/auth/clients/device/poll')) {
      res.end(JSON.stringify({ status: 'DENIED' }));
    } else {
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function enrolAgainst(approvalUrl: (origin: string) => string) {
  const core = await hostileCore(approvalUrl);
  const dir = makeTempDir('enrol-url-');
  const bin = join(dir, 'bin');
  const record = join(dir, 'launched.json');
  await run('mkdir', [bin]);
  // A real executable standing in for the desktop's opener: it records its argv as JSON.
  const opener = `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n`;
  for (const name of ['xdg-open', 'open', 'rundll32', 'cmd']) {
    await writeFile(join(bin, name), opener);
    await chmod(join(bin, name), 0o755);
  }
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ core_url: core.origin, storage_mounts: {} }));
  let out: { code: number; stdout: string; stderr: string };
  try {
    const r = await run(process.execPath, [BIN, 'enrol'], {
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        RETAIA_AGENT_CONFIG: configPath,
        RETAIA_AGENT_DATA_DIR: join(dir, 'data'),
        RETAIA_AGENT_SECRET_STORE: 'file',
      },
    });
    out = { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    out = { code: e.code, stdout: e.stdout, stderr: e.stderr };
  } finally {
    core.server.close();
  }
  const launched = async (): Promise<string[] | undefined> => {
    // The opener is detached: give it time to write before concluding anything.
    for (let i = 0; i < 50; i++) {
      try {
        return JSON.parse(await readFile(record, 'utf8')) as string[];
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return undefined;
  };
  return { ...out, origin: core.origin, launched };
}

test('enrol: a file:// approval URL from Core is printed with a warning, never launched', async () => {
  const r = await enrolAgainst(() => 'file:///etc/passwd');
  assert.equal(r.code, 1, 'the hostile Core denies, so enrolment fails');
  assert.match(r.stderr, /not opening a browser: Core returned a file: address/);
  assert.match(r.stdout, /Visit file:\/\/\/etc\/passwd/);
  assert.doesNotMatch(r.stdout, /Opened your browser/);
  assert.equal(await r.launched(), undefined, 'no launcher ran');
});

test('enrol: an approval URL on another origin (other host, other port) is never launched', async () => {
  for (const url of [
    () => 'https://evil.example/device?user_code=EVIL-CODE',
    (origin: string) => origin.replace(/:(\d+)$/, (_m, p: string) => `:${Number(p) + 1}`),
  ]) {
    const r = await enrolAgainst(url);
    assert.match(
      r.stderr,
      /not opening a browser: the approval page .* is not on the configured Core/,
    );
    assert.equal(await r.launched(), undefined, 'no launcher ran');
  }
});

test('enrol: a same-origin URL full of shell metacharacters reaches the opener as one argument', async () => {
  const tail = '/device?user_code=EVIL-CODE&calc.exe|x;$(touch /tmp/pwned)`id`';
  const r = await enrolAgainst((origin) => `${origin}${tail}`);
  assert.match(r.stdout, /Opened your browser/);
  assert.deepEqual(await r.launched(), [`${r.origin}${tail}`]);
});

test('the Windows launcher takes the URL as a single argument and runs no shell', () => {
  const url = 'https://nas.local:8443/device?user_code=A&b=1';
  const [cmd, args] = browserLauncher(url, 'win32');
  assert.equal(cmd, 'rundll32');
  assert.deepEqual(args, ['url.dll,FileProtocolHandler', url]);
  assert.notEqual(cmd, 'cmd');
});

test('approval URL policy: scheme, credentials and origin (default ports normalised)', () => {
  const core = 'https://NAS.local:443/api/v1';
  assert.equal(approvalUrlProblem('https://nas.local/device?c=1', core), undefined);
  assert.match(approvalUrlProblem('http://nas.local/device', core) ?? '', /not on the configured/);
  assert.match(approvalUrlProblem('javascript:alert(1)', core) ?? '', /javascript: address/);
  assert.match(approvalUrlProblem('https://u:p@nas.local/', core) ?? '', /user name or password/);
  assert.match(approvalUrlProblem('not a url', core) ?? '', /not a URL/);
  assert.match(approvalUrlProblem('https://nas.local/', undefined) ?? '', /no core_url/);
});
