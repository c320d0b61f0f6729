// The one wording of "Core's certificate changed", and its parser: the daemon reports it as text
// (connection error / status reason), and the desktop window recognises it to offer a Trust
// button for exactly the presented fingerprint. No `node:` imports: the renderer uses it too.
// See docs/agent-trust.md.

export interface CertificateChange {
  origin: string;
  pinned: string;
  presented: string;
}

const FINGERPRINT = '[0-9A-F]{2}(?::[0-9A-F]{2}){31}';
const CHANGED = new RegExp(
  `TLS certificate at (\\S+) changed: pinned SHA-256 (${FINGERPRINT}), presented (${FINGERPRINT})`,
);

export function describeCertificateChange({
  origin,
  pinned,
  presented,
}: CertificateChange): string {
  return (
    `Core's TLS certificate at ${origin} changed: pinned SHA-256 ${pinned}, presented ${presented}. ` +
    'The agent stops talking to Core until you accept the new certificate. If you replaced the ' +
    `certificate yourself, run "retaia-agent certificate accept --fingerprint ${presented}" ` +
    '(or use Trust in the desktop app); otherwise someone may be intercepting the connection'
  );
}

/** The change described in `text`, if it is one. */
export function parseCertificateChange(text: string | undefined): CertificateChange | undefined {
  const m = text ? CHANGED.exec(text) : null;
  return m
    ? { origin: m[1] as string, pinned: m[2] as string, presented: m[3] as string }
    : undefined;
}
