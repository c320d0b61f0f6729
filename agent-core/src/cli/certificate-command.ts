// `retaia-agent certificate show|accept`: what Core's HTTPS certificate is, which one this agent
// pinned, and how the user accepts a new one after the agent stopped on a changed certificate.
// The daemon re-reads pins at its next TLS handshake, so no restart is needed. See
// docs/agent-trust.md.
import type { Command } from 'commander';
import type { AgentPaths } from '../config/agent-paths.js';
import { loadConfigFile } from '../config/config-store.js';
import { acceptCoreCertificate, CoreTrust } from '../core-api/core-tls.js';

export interface CertificateCommandContext {
  paths(): AgentPaths;
  print(value: unknown, human: () => string): void;
}

async function httpsCore(paths: AgentPaths): Promise<{ coreUrl: string; caFile?: string }> {
  const { config } = await loadConfigFile(paths.configPath);
  if (!config.core_url)
    throw new Error('set core_url first: retaia-agent config set core_url https://…');
  if (!config.core_url.startsWith('https:'))
    throw new Error(`core_url ${config.core_url} is not https: there is no certificate to pin`);
  return {
    coreUrl: config.core_url,
    ...(config.core_ca_file ? { caFile: config.core_ca_file } : {}),
  };
}

export function addCertificateCommand(program: Command, ctx: CertificateCommandContext): void {
  const cert = program
    .command('certificate')
    .description("Core's TLS certificate: show the pinned one, accept a new one");
  cert
    .command('show')
    .description('show the pinned SHA-256 fingerprint and the one Core presents now')
    .action(async () => {
      const paths = ctx.paths();
      const core = await httpsCore(paths);
      const trust = new CoreTrust({ ...core, dataDir: paths.dataDir });
      const pinned = trust.pinned();
      let presented: string | undefined;
      let problem: string | undefined;
      try {
        presented = await new CoreTrust(core).probe();
      } catch (err) {
        problem = (err as Error).message;
      }
      const out = { origin: trust.origin, pinned, presented, problem, caFile: core.caFile };
      ctx.print(out, () =>
        [
          `Core:      ${trust.origin}${core.caFile ? ` (extra CA: ${core.caFile})` : ''}`,
          `pinned:    ${pinned ?? '(nothing yet: pinned on the first verified connection)'}`,
          `presented: ${presented ?? `(unavailable: ${problem})`}`,
          ...(pinned && presented && pinned !== presented
            ? [
                'They differ: the agent refuses Core until you run "retaia-agent certificate accept".',
              ]
            : []),
        ].join('\n'),
      );
    });
  cert
    .command('accept')
    .description('trust the certificate Core presents now (after checking its fingerprint)')
    .option('--fingerprint <sha256>', 'accept only this exact certificate (recommended)')
    .action(async (o: { fingerprint?: string }) => {
      const paths = ctx.paths();
      const accepted = await acceptCoreCertificate(
        { ...(await httpsCore(paths)), dataDir: paths.dataDir },
        o.fingerprint,
      );
      ctx.print(accepted, () =>
        accepted.previous && accepted.previous !== accepted.current
          ? `Accepted Core's new certificate ${accepted.current} (replaces ${accepted.previous}).`
          : `Core's certificate ${accepted.current} is pinned.`,
      );
    });
}
