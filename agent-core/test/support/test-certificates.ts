// Real X.509 material for HTTPS tests, made with the openssl CLI: a private CA, leaves it signed
// for 127.0.0.1, and a self-signed leaf (what a NAS ships). Nothing is mocked.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCert {
  certPath: string;
  cert: string;
  key: string;
  sha256: string;
}

export interface TestPki {
  dir: string;
  ca: TestCert;
  leaf(name: string): Promise<TestCert>;
  selfSigned(name: string): Promise<TestCert>;
  /** Removes the temp folder (keys included); call it from the test's `after`. */
  dispose(): Promise<void>;
}

const SAN = 'subjectAltName=IP:127.0.0.1,DNS:localhost';

async function load(dir: string, name: string): Promise<TestCert> {
  const certPath = join(dir, `${name}.pem`);
  const cert = await readFile(certPath, 'utf8');
  return {
    certPath,
    cert,
    key: await readFile(join(dir, `${name}.key`), 'utf8'),
    sha256: new X509Certificate(cert).fingerprint256,
  };
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'pki-'));
  const at = (f: string) => join(dir, f);
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Retaia Test NAS CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  const ca = await load(dir, 'ca');
  return {
    dir,
    ca,
    dispose: () => rm(dir, { recursive: true, force: true }),
    async leaf(name) {
      await run('openssl', [
        'req',
        '-new',
        ...newKey,
        '-keyout',
        at(`${name}.key`),
        '-out',
        at(`${name}.csr`),
        '-subj',
        `/CN=${name}`,
      ]);
      await writeFile(at(`${name}.ext`), `${SAN}\n`);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        at(`${name}.csr`),
        '-CA',
        at('ca.pem'),
        '-CAkey',
        at('ca.key'),
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        at(`${name}.pem`),
        '-extfile',
        at(`${name}.ext`),
      ]);
      return load(dir, name);
    },
    async selfSigned(name) {
      await run('openssl', [
        'req',
        '-x509',
        ...newKey,
        '-keyout',
        at(`${name}.key`),
        '-out',
        at(`${name}.pem`),
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-addext',
        SAN,
      ]);
      return load(dir, name);
    },
  };
}
