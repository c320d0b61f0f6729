// How the agent trusts Core over HTTPS. Verification is never turned off: the chain must verify
// against the system roots plus the PEM in `core_ca_file` (the usual way to trust a NAS's
// self-signed certificate), and then the leaf certificate's SHA-256 must match the one pinned
// for that Core origin. The first verified connection to an origin pins its certificate (trust
// on first use, normally during enrolment, where the fingerprint is shown); a different
// certificate afterwards stops every call with an error naming both fingerprints until the user
// accepts the new one. Pins live in `<dataDir>/core-certificates.json` and are re-read at each
// TLS handshake, so an accept from the CLI or the desktop takes effect without a restart.
// See docs/agent-trust.md.
import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkServerIdentity as defaultCheckServerIdentity,
  connect,
  rootCertificates,
  type PeerCertificate,
} from 'node:tls';
import { describeCertificateChange } from './certificate-change.js';
import { CoreCertificateError } from './core-api-errors.js';

export const PIN_FILE_NAME = 'core-certificates.json';

export interface CorePin {
  sha256: string;
  pinned_at: string;
}
type PinFile = Record<string, CorePin>;

export interface CoreTrustOptions {
  coreUrl: string;
  /** PEM file with the certificate(s) to trust in addition to the system roots. */
  caFile?: string | undefined;
  /** Where pins are kept; without it nothing is pinned (used by one-off probes). */
  dataDir?: string | undefined;
}

function pinFilePath(dataDir: string): string {
  return join(dataDir, PIN_FILE_NAME);
}

export function readCorePins(dataDir: string): PinFile {
  let text: string;
  try {
    text = readFileSync(pinFilePath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    return JSON.parse(text) as PinFile;
  } catch {
    // Never fall back to "no pin" (that would silently trust any certificate again).
    throw new CoreCertificateError(
      `${pinFilePath(dataDir)} is damaged: fix or delete it, then accept Core's certificate again with "retaia-agent certificate accept"`,
      'changed',
    );
  }
}

/** Records `sha256` as the trusted certificate of `origin` (0600, written atomically). */
export function pinCoreCertificate(dataDir: string, origin: string, sha256: string): void {
  const pins = readCorePins(dataDir);
  pins[origin] = { sha256, pinned_at: new Date().toISOString() };
  const path = pinFilePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(pins, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Reads and checks a CA file; the error says what to fix. */
export function loadCaFile(caFile: string): string[] {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new CoreCertificateError(
      `core_ca_file ${caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): point it at the PEM file of the certificate Core uses, or of the CA that signed it`,
      'ca_file',
    );
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      blocks.length = 0;
      break;
    }
  }
  if (blocks.length === 0)
    throw new CoreCertificateError(
      `core_ca_file ${caFile} holds no valid PEM certificate ("-----BEGIN CERTIFICATE-----" …): export the certificate from the NAS as PEM`,
      'ca_file',
    );
  return blocks;
}

export class CoreTrust {
  readonly origin: string;
  /** The leaf fingerprint of the last verified handshake (shown at enrolment). */
  presented?: string;
  private readonly ca?: string[];

  constructor(private readonly opts: CoreTrustOptions) {
    this.origin = new URL(opts.coreUrl).origin;
    if (opts.caFile) this.ca = [...rootCertificates, ...loadCaFile(opts.caFile)];
  }

  pinned(): string | undefined {
    return this.opts.dataDir ? readCorePins(this.opts.dataDir)[this.origin]?.sha256 : undefined;
  }

  /** Options for got's `https` (the same ones `probeCoreCertificate` uses). */
  httpsOptions(): {
    certificateAuthority?: string[];
    rejectUnauthorized: true;
    checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
  } {
    return {
      ...(this.ca ? { certificateAuthority: this.ca } : {}),
      rejectUnauthorized: true,
      checkServerIdentity: (host, cert) => this.check(host, cert),
    };
  }

  /** Runs after the chain verified: host name, then the pin. */
  private check(host: string, cert: PeerCertificate): Error | undefined {
    const hostProblem = defaultCheckServerIdentity(host, cert);
    if (hostProblem) return hostProblem;
    const presented = cert.fingerprint256;
    this.presented = presented;
    const dataDir = this.opts.dataDir;
    if (!dataDir) return undefined;
    try {
      const pinned = readCorePins(dataDir)[this.origin]?.sha256;
      if (!pinned) pinCoreCertificate(dataDir, this.origin, presented);
      else if (pinned !== presented)
        return new CoreCertificateError(
          describeCertificateChange({ origin: this.origin, pinned, presented }),
          'changed',
          pinned,
          presented,
        );
    } catch (err) {
      return err as Error;
    }
    return undefined;
  }

  /** Connects once (chain and host name verified, pin NOT checked) to read the leaf fingerprint. */
  async probe(timeoutMs = 15_000): Promise<string> {
    const url = new URL(this.opts.coreUrl);
    if (url.protocol !== 'https:')
      throw new Error(`${this.origin} is not https: there is no certificate to trust`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const socket = connect({
        host,
        port: Number(url.port || 443),
        ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
        ...(this.ca ? { ca: this.ca } : {}),
        rejectUnauthorized: true,
        timeout: timeoutMs,
      });
      socket.once('secureConnect', () => {
        const fp = socket.getPeerCertificate().fingerprint256;
        socket.destroy();
        resolve(fp);
      });
      socket.once('timeout', () => {
        socket.destroy();
        reject(new Error(`no TLS answer from ${this.origin} within ${timeoutMs / 1000} s`));
      });
      socket.once('error', (err) => reject(describeTlsFailure(err, this.opts) ?? err));
    });
  }
}

const UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * Turns a TLS failure (possibly wrapped by got) into a CoreCertificateError whose message says
 * what to do; undefined for anything that is not about Core's certificate.
 */
export function describeTlsFailure(
  err: unknown,
  opts: Pick<CoreTrustOptions, 'coreUrl' | 'caFile'>,
): CoreCertificateError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof CoreCertificateError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const origin = new URL(opts.coreUrl).origin;
    if (UNTRUSTED_CODES.has(code))
      return new CoreCertificateError(
        opts.caFile
          ? `Core's TLS certificate at ${origin} is not signed by anything in core_ca_file ${opts.caFile} (${code}): export the certificate Core uses now (or its CA) as PEM and point core_ca_file at it`
          : `Core's TLS certificate at ${origin} is not trusted (${code}; a NAS usually ships a self-signed one): export it (or its CA) as PEM and run "retaia-agent config set core_ca_file /path/to/core.pem". Verification is never turned off.`,
        'untrusted',
      );
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
      return new CoreCertificateError(
        `Core's TLS certificate at ${origin} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'}: renew it on Core (or check this computer's clock)`,
        'untrusted',
      );
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return new CoreCertificateError(
        `Core's TLS certificate does not name ${new URL(opts.coreUrl).hostname}: use the host name the certificate was issued for in core_url, or reissue the certificate (${(e as Error).message})`,
        'untrusted',
      );
    e = (e as Error).cause;
  }
  return undefined;
}

/** `ab:cd…`, `ABCD…` or `sha256:AB:CD…` → Node's `AB:CD:…` form, or undefined if not a SHA-256. */
export function normaliseFingerprint(text: string): string | undefined {
  const hex = text
    .replace(/^sha-?256[:=]?/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? (hex.match(/../g) as string[]).join(':') : undefined;
}

export interface AcceptedCertificate {
  origin: string;
  previous?: string;
  current: string;
}

/**
 * Pins the certificate Core presents now (chain and host name verified first). With
 * `fingerprint`, only that exact certificate is accepted, so the user pins what they checked.
 */
export async function acceptCoreCertificate(
  opts: Required<Pick<CoreTrustOptions, 'coreUrl' | 'dataDir'>> & Pick<CoreTrustOptions, 'caFile'>,
  fingerprint?: string,
): Promise<AcceptedCertificate> {
  const expected = fingerprint === undefined ? undefined : normaliseFingerprint(fingerprint);
  if (fingerprint !== undefined && !expected)
    throw new Error(
      `"${fingerprint}" is not a SHA-256 fingerprint (64 hex digits, colons optional)`,
    );
  const trust = new CoreTrust({ coreUrl: opts.coreUrl, caFile: opts.caFile });
  const current = await trust.probe();
  if (expected && expected !== current)
    throw new Error(
      `Core at ${trust.origin} presents ${current}, not ${expected}: nothing accepted`,
    );
  const previous = readCorePins(opts.dataDir)[trust.origin]?.sha256;
  pinCoreCertificate(opts.dataDir, trust.origin, current);
  return { origin: trust.origin, ...(previous ? { previous } : {}), current };
}
