// `retaia-agent`: the headless control surface. Everything that touches a running daemon goes
// through its control API (ControlClient); without a daemon, commands work on the files
// directly. Human output by default, `--json` for scripts. Exit codes: 0 ok, 1 error,
// 2 invalid input/config, 3 daemon not running (status).
import { join } from 'node:path';
import { Command } from 'commander';
import { RequestSigner } from '@retaia/protocol';
import type { AgentPaths } from '../config/agent-paths.js';
import { validateAgentConfig } from '../config/config-schema.js';
import { ConfigError, loadConfigFile } from '../config/config-store.js';
import { CoreClient } from '../core-api/core-client.js';
import { runDeviceEnrolment } from '../core-api/device-enrolment.js';
import { IdentityStore } from '../identity/agent-identity.js';
import { openSecretStore } from '../identity/secret-store.js';
import { AGENT_VERSION } from '../agent-version.js';
import type { EnrolmentView, JobHistoryEntry } from '../runtime/control-protocol.js';
import { JobHistory } from '../runtime/job-history.js';
import { buildRegisterRequest } from '../runtime/register-request.js';
import { openApprovalPage } from './open-browser.js';
import { addModelsCommand } from './models-command.js';
import { addConfigCommand } from './config-command.js';
import { addDaemonCommand } from './daemon-command.js';
import {
  CliError,
  daemonClient,
  humanMountProblems,
  mountProblems,
  pathsOf,
  print,
  type GlobalOpts,
} from './cli-support.js';
import { addCertificateCommand } from './certificate-command.js';

function humanHistory(entries: JobHistoryEntry[]): string[] {
  return entries.map(
    (h) =>
      `${h.finishedAt}  ${h.outcome.padEnd(10)} ${h.jobType.padEnd(24)} ${h.sourceName}  ${(h.durationMs / 1000).toFixed(1)} s${h.errorCode ? `  ${h.errorCode}: ${h.message ?? ''}` : ''}`,
  );
}

async function enrolLocally(
  paths: AgentPaths,
  g: GlobalOpts,
  noBrowser: boolean,
  label?: string,
): Promise<void> {
  const { config } = await loadConfigFile(paths.configPath);
  if (!config.core_url)
    throw new CliError('set core_url first: retaia-agent config set core_url https://…', 2);
  const secrets = await openSecretStore(paths.dataDir);
  const identity = new IdentityStore(paths.dataDir, secrets);
  await identity.loadOrCreate();
  const client = new CoreClient({
    baseUrl: config.core_url,
    tls: { caFile: config.core_ca_file, dataDir: paths.dataDir },
  });
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const outcome = await runDeviceEnrolment(client, {
      clientLabel: label ?? config.agent_name ?? (await import('node:os')).hostname(),
      signal: abort.signal,
      onStarted: (s, core) => {
        if (core.certificateSha256 && !g.json)
          process.stdout.write(
            `Core's TLS certificate (SHA-256, now pinned): ${core.certificateSha256}\nCompare it with the one shown on the NAS; if it ever changes, the agent stops until you accept the new one.\n`,
          );
        showCode(
          g,
          {
            state: 'pending',
            userCode: s.user_code,
            verificationUri: s.verification_uri,
            verificationUriComplete: s.verification_uri_complete,
          },
          noBrowser,
          config.core_url,
        );
      },
    });
    if (outcome.status !== 'APPROVED')
      throw new CliError(`enrolment ${outcome.status.toLowerCase()}`);
    await identity.saveCredentials({
      clientId: outcome.clientId,
      secretKey: outcome.secretKey,
      coreUrl: config.core_url,
    });
    print(
      g,
      { state: 'approved', clientId: outcome.clientId },
      () => `Enrolled (client ${outcome.clientId}); secret stored in ${secrets.info.detail}`,
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function showCode(
  g: GlobalOpts,
  view: EnrolmentView,
  noBrowser: boolean,
  coreUrl: string | undefined,
): void {
  if (!view.verificationUriComplete) return;
  const outcome = noBrowser
    ? { opened: false as const }
    : openApprovalPage(view.verificationUriComplete, coreUrl);
  const refused = !outcome.opened && outcome.problem;
  if (refused) {
    process.stderr.write(
      `Warning: not opening a browser: ${refused}. Check the address below before visiting it.\n`,
    );
  }
  if (g.json) {
    process.stdout.write(
      `${JSON.stringify({ state: 'pending', user_code: view.userCode, verification_uri: view.verificationUri, verification_uri_complete: view.verificationUriComplete, ...(refused ? { browser_refused: refused } : {}) })}\n`,
    );
    return;
  }
  process.stdout.write(
    `${outcome.opened ? 'Opened your browser. If it did not open, visit' : 'Visit'} ${view.verificationUriComplete}\nand confirm the code: ${view.userCode}\nWaiting for approval (Ctrl-C to cancel)…\n`,
  );
}

export function buildProgram(): Command {
  const program = new Command('retaia-agent')
    .description('Retaia processing agent: daemon control, configuration, enrolment, models')
    .version(AGENT_VERSION)
    .option('--config <path>', 'config file (default: OS location, or RETAIA_AGENT_CONFIG)')
    .option(
      '--data-dir <path>',
      'data dir (identity, history, secrets file; or RETAIA_AGENT_DATA_DIR)',
    )
    .option('--socket <path>', 'daemon control endpoint (or RETAIA_AGENT_SOCKET)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError();
  const g = (): GlobalOpts => program.opts<GlobalOpts>();

  addModelsCommand(program, {
    paths: () => pathsOf(g()),
    json: () => Boolean(g().json),
    print: (value, human) => print(g(), value, human),
  });

  addCertificateCommand(program, {
    paths: () => pathsOf(g()),
    print: (value, human) => print(g(), value, human),
  });

  addConfigCommand(program, g);

  // ----- enrol -----
  program
    .command('enrol')
    .description('enrol this agent with Core through the browser (device flow)')
    .option('--no-browser', 'print the URL and code instead of opening a browser')
    .option('--label <label>', 'name shown to the approving operator')
    .action(async (o: { browser: boolean; label?: string }) => {
      const paths = pathsOf(g());
      const client = await daemonClient(paths);
      if (!client) return enrolLocally(paths, g(), !o.browser, o.label);
      let view = await client.startEnrolment(o.label);
      if (view.state === 'error') throw new CliError(view.message ?? 'enrolment failed');
      const daemonConfig = validateAgentConfig((await client.getConfig()).config);
      const coreUrl = daemonConfig.ok ? daemonConfig.config.core_url : undefined;
      showCode(g(), view, !o.browser, coreUrl);
      let canceled = false;
      const onSigint = () => {
        canceled = true;
        void client.cancelEnrolment();
      };
      process.once('SIGINT', onSigint);
      // Follow the daemon's enrolment events (no polling). The first event of the stream is a
      // status: read the view once then, so an approval that came before we subscribed counts.
      const stream = new AbortController();
      try {
        if (view.state === 'pending')
          for await (const event of client.events(stream.signal)) {
            if (event.type === 'status') view = await client.enrolment();
            else if (event.type === 'enrolment') view = event.enrolment;
            if (view.state !== 'pending') break;
          }
      } finally {
        stream.abort();
        process.off('SIGINT', onSigint);
      }
      print(g(), view, () =>
        view.state === 'approved'
          ? 'Enrolled; the daemon is connecting to Core.'
          : `Enrolment ${canceled ? 'canceled' : view.state}${view.message ? `: ${view.message}` : ''}`,
      );
      if (view.state !== 'approved') process.exitCode = 1;
    });

  addDaemonCommand(program, g);

  // ----- jobs / diagnostics -----
  program
    .command('jobs')
    .description('current jobs and recent history')
    .option('--limit <n>', 'history entries', '20')
    .action(async (o: { limit: string }) => {
      const paths = pathsOf(g());
      const client = await daemonClient(paths);
      let snapshot;
      if (client) snapshot = await client.jobs();
      else {
        const history = new JobHistory(join(paths.dataDir, 'job-history.jsonl'));
        await history.load();
        snapshot = { current: [], history: history.list() };
      }
      const limit = Number.parseInt(o.limit, 10) || 20;
      snapshot = { ...snapshot, history: snapshot.history.slice(0, limit) };
      print(g(), snapshot, () =>
        [
          `current (${snapshot.current.length}):`,
          ...snapshot.current.map(
            (j) =>
              `  ${j.jobType} ${j.sourceName} — ${j.stage}${j.percent !== undefined ? ` ${j.percent}%` : ''} since ${j.startedAt}`,
          ),
          `history (latest ${snapshot.history.length}):`,
          ...humanHistory(snapshot.history).map((l) => `  ${l}`),
        ].join('\n'),
      );
    });
  program
    .command('diagnostics')
    .description('a redacted report to paste into a bug report')
    .action(async () => {
      const paths = pathsOf(g());
      const client = await daemonClient(paths);
      let text: string;
      if (client) text = await client.diagnostics();
      else {
        const { redactSecrets } = await import('../runtime/diagnostics.js');
        const secrets = await openSecretStore(paths.dataDir);
        const ident = await new IdentityStore(paths.dataDir, secrets).describe();
        let cfg: unknown;
        let mounts: string[] = [];
        try {
          const loaded = (await loadConfigFile(paths.configPath)).config;
          cfg = loaded;
          mounts = humanMountProblems(await mountProblems(loaded.storage_mounts));
        } catch (err) {
          cfg = err instanceof ConfigError ? `invalid: ${err.message}` : String(err);
        }
        text = redactSecrets(
          [
            '# retaia-agent diagnostics (daemon not running)',
            `version ${AGENT_VERSION}, node ${process.version}, ${process.platform} ${process.arch}`,
            `agent id: ${ident?.agentId ?? '(none yet)'}; fingerprint ${ident?.fingerprint ?? 'n/a'}; client ${ident?.clientId ?? '(not enrolled)'}`,
            `secret store: ${secrets.info.kind} — ${secrets.info.detail}`,
            `paths: config ${paths.configPath}; data ${paths.dataDir}; control ${paths.controlSocketPath}`,
            ...mounts,
            '## config',
            typeof cfg === 'string' ? cfg : JSON.stringify(cfg, null, 2),
          ].join('\n'),
        );
      }
      print(g(), { text }, () => text);
    });

  // ----- identity -----
  const identity = program
    .command('identity')
    .description('the agent identity (agent_id, OpenPGP key)');
  identity
    .command('show')
    .description('show agent_id, key fingerprint and enrolment')
    .action(async () => {
      const paths = pathsOf(g());
      const secrets = await openSecretStore(paths.dataDir);
      const d = await new IdentityStore(paths.dataDir, secrets).describe();
      if (!d) throw new CliError('no identity yet: it is created when the daemon first starts');
      const out = { ...d, secretStore: secrets.info };
      print(g(), out, () =>
        [
          `agent id:     ${d.agentId}`,
          `fingerprint:  ${d.fingerprint}`,
          `key created:  ${d.keyCreatedAt}`,
          `enrolled:     ${d.clientId ? `yes (client ${d.clientId})` : 'no'}`,
          `secret store: ${secrets.info.kind} — ${secrets.info.detail}`,
        ].join('\n'),
      );
    });
  identity
    .command('rotate-key')
    .description('create a new OpenPGP key and register it with Core (the agent_id stays)')
    .action(async () => {
      const paths = pathsOf(g());
      if (await daemonClient(paths))
        throw new CliError(
          'stop the daemon first ("retaia-agent daemon stop"): it holds the current key',
        );
      const secrets = await openSecretStore(paths.dataDir);
      const store = new IdentityStore(paths.dataDir, secrets);
      const before = await store.describe();
      const rotated = await store.rotateKey();
      let registered = false;
      const creds = await store.loadCredentials();
      const { config } = await loadConfigFile(paths.configPath);
      if (creds && config.core_url) {
        const client = new CoreClient({
          baseUrl: config.core_url,
          signer: await RequestSigner.fromArmored(rotated.agentId, rotated.privateKeyArmored),
          credentials: async () => creds,
          tls: { caFile: config.core_ca_file, dataDir: paths.dataDir },
        });
        const { detectMediaCapabilities } = await import('../processing/registry.js');
        await client.register(
          buildRegisterRequest(rotated, {
            ...(config.agent_name ? { agentName: config.agent_name } : {}),
            capabilities: (
              await detectMediaCapabilities({
                ...(config.ffmpeg_path ? { ffmpegPath: config.ffmpeg_path } : {}),
                ...(config.ffprobe_path ? { ffprobePath: config.ffprobe_path } : {}),
              })
            ).capabilities,
            maxParallelJobs: config.max_parallel_jobs,
          }),
        );
        registered = true;
      }
      print(
        g(),
        {
          agentId: rotated.agentId,
          previousFingerprint: before?.fingerprint,
          fingerprint: rotated.fingerprint,
          registered,
        },
        () =>
          `New key ${rotated.fingerprint} (was ${before?.fingerprint ?? 'none'})${registered ? ', registered with Core' : '; it will be registered when the daemon next starts'}`,
      );
    });
  return program;
}

export async function runCli(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const json = program.opts<GlobalOpts>().json;
    const exitCode = err instanceof CliError ? err.exitCode : err instanceof ConfigError ? 2 : 1;
    const message =
      err instanceof ConfigError
        ? `${err.message}\nFix the file, or run "retaia-agent config validate".`
        : (err as Error).message;
    process.stderr.write(
      json ? `${JSON.stringify({ error: message })}\n` : `retaia-agent: ${message}\n`,
    );
    process.exitCode = exitCode;
  }
}
