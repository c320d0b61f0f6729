// `core-server` command: serve, plus operator commands that work on the same data dir while the
// server runs (SQLite WAL + busy timeout let both processes write).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { OPERATOR_USER_ID } from '../auth/device-flow.js';
import { hashPassword } from '../auth/secret-hash.js';
import { loadCliConfig } from '../config/load-cli-config.js';
import { promptPassword, readPasswordFromStdin } from './read-password.js';
import { startCoreServer } from '../server/start-core-server.js';
import { withExistingStore } from './existing-store.js';
import { migrateSqliteToPostgres } from './db-migrate.js';
import { describeAssetStory, loadAssetStory } from './explain-asset.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
};

const program = new Command('core-server').description('Lightweight Retaia Core');

program
  .command('serve')
  .description('run the Core HTTP API, discovery and job queue')
  .option(
    '--storage-root <dir>',
    'storage root (holds INBOX/, ARCHIVE/, REJECTS/, .derived/, .retaia)',
  )
  .option(
    '--storage-id <id>',
    'storage id written to the .retaia marker (default: the one already in the marker)',
  )
  .option(
    '--init-storage',
    'create the storage root if missing and write its .retaia marker (first start of a new library only)',
  )
  .option('--data-dir <dir>', 'directory of the SQLite database (default ./retaia-core-data)')
  .option(
    '--database-url <url>',
    'postgres://… : run on PostgreSQL instead of SQLite, e.g. several replicas on one database (env RETAIA_CORE_DATABASE_URL; docs/postgresql.md)',
  )
  .option('--host <host>', 'listen address (default 127.0.0.1)')
  .option('--port <port>', 'listen port (default 8080, 0 = random)', int)
  .option('--tls-cert <file>', 'PEM certificate (HTTPS)')
  .option('--tls-key <file>', 'PEM private key (HTTPS)')
  .option('--config <file>', 'JSON config file (same keys as the programmatic options)')
  .action(async (o) => {
    const options = loadCliConfig({
      storageRoot: o.storageRoot && path.resolve(o.storageRoot),
      storageId: o.storageId,
      dataDir: o.dataDir,
      databaseUrl: o.databaseUrl,
      host: o.host,
      port: o.port,
      config: o.config,
    });
    if (Boolean(o.tlsCert) !== Boolean(o.tlsKey))
      throw new Error('--tls-cert and --tls-key go together');
    const tls = o.tlsCert
      ? { cert: readFileSync(o.tlsCert, 'utf8'), key: readFileSync(o.tlsKey, 'utf8') }
      : options.tls;
    const server = await startCoreServer({ ...options, tls, initStorage: o.initStorage === true });
    process.stdout.write(`core-server listening on ${server.apiUrl}\n`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

const dataDirOption = (c: Command) =>
  c
    .addOption(
      new Option('--data-dir <dir>', 'data directory of the server')
        .env('RETAIA_CORE_DATA_DIR')
        .default('retaia-core-data'),
    )
    .addOption(
      new Option(
        '--database-url <url>',
        'the PostgreSQL database of the server, if it uses one',
      ).env('RETAIA_CORE_DATABASE_URL'),
    );

const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

const clients = program
  .command('clients')
  .description('technical clients (agents) and device flows');
dataDirOption(
  clients.command('approve <user_code>').description('approve a pending device flow'),
).action((code: string, o) =>
  withExistingStore(o, async (s) => {
    const flow = await s.approveDeviceFlow(code, OPERATOR_USER_ID, Date.now());
    print({ approved: true, user_code: flow.user_code, client_id: flow.client_id });
  }),
);
dataDirOption(clients.command('deny <user_code>').description('deny a pending device flow')).action(
  (code: string, o) =>
    withExistingStore(o, async (s) => {
      await s.denyDeviceFlow(code);
      print({ denied: true, user_code: code.toUpperCase() });
    }),
);
dataDirOption(clients.command('list').description('list approved clients')).action((o) =>
  withExistingStore(o, async (s) =>
    print((await s.listClients()).map(({ secret_hash: _s, ...c }) => c)),
  ),
);

dataDirOption(
  program.command('agents').command('list').description('list registered agents'),
).action((o) =>
  withExistingStore(o, async (s) =>
    print((await s.listAgents()).map(({ public_key: _k, ...a }) => a)),
  ),
);

const assets = program.command('assets').description('assets and why they are where they are');
dataDirOption(assets.command('list').description('list assets')).action((o) =>
  withExistingStore(o, async (s) =>
    print(
      (await s.listAssets({ limit: 1_000_000, offset: 0 })).map((a) => ({
        uuid: a.uuid,
        state: a.state,
        media_type: a.media_type,
        path: a.relative_path,
        profile: a.profile,
      })),
    ),
  ),
);
dataDirOption(
  assets
    .command('show <uuid>')
    .description('one asset: state and why, jobs, attempts, failures, locks, file operations')
    .option('--json', 'print the raw details as JSON')
    .option('--max-attempts <n>', "the server's maxAttempts (for the attempts column)", int, 3),
).action((uuid: string, o) =>
  withExistingStore(o, async (s) => {
    const story = await loadAssetStory(s, uuid, o.maxAttempts);
    if (!story) throw new Error(`no asset ${uuid} in this database (see \`assets list\`)`);
    if (o.json) print(story);
    else process.stdout.write(`${describeAssetStory(story).join('\n')}\n`);
  }),
);

dataDirOption(
  program
    .command('users')
    .command('add')
    .description('add a human operator (the password is prompted for, or read from stdin)')
    .requiredOption('--email <email>')
    .option('--password-stdin', 'read the password from standard input (for scripts)')
    .option('--password <password>', 'refused: a password in argv is visible to other users'),
).action(async (o) => {
  if (o.password !== undefined) {
    throw new Error(
      'passwords are not taken on the command line (visible in ps and shell history); type it at the prompt or pipe it with --password-stdin',
    );
  }
  const password = o.passwordStdin
    ? await readPasswordFromStdin()
    : await promptPassword(`password for ${o.email}: `);
  if (password.length < 8) throw new Error('password must have at least 8 characters');
  await withExistingStore(o, async (s) => {
    const u = await s.addUser(o.email, await hashPassword(password));
    print({ user_id: u.user_id, email: u.email });
  });
});

program
  .command('db')
  .description('database maintenance')
  .command('migrate')
  .description(
    'copy an existing SQLite catalogue into an empty PostgreSQL database, verified by row counts and checksums (docs/postgresql.md)',
  )
  .requiredOption('--from <source>', 'sqlite:PATH (the data dir, or its core.sqlite)')
  .requiredOption('--to <url>', 'postgres://… of an empty database')
  .action(async (o) => print(await migrateSqliteToPostgres(o.from, o.to)));

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`core-server: ${err.message}\n`);
  process.exit(1);
});
