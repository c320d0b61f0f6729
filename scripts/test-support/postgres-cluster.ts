// A throwaway PostgreSQL server for tests and benches: `initdb` + `pg_ctl` on a fresh temp
// directory, listening on a Unix socket in that directory only (no TCP port, no system service).
//
//   const pg = await startPostgresCluster();          // once per test file
//   test('…', { skip: pg.skipReason }, async () => {
//     const url = await pg.createDatabase();           // a fresh, empty database per test
//     …  new PostgresCoreStore(url) / spawn core-server --database-url url …
//   });
//   after(() => pg.stop());                            // also stopped at process exit
//
// When the server cannot start (no initdb, no postgres user to run it as root, …) the result has
// `skipReason` set, a sentence saying why, and `createDatabase` throws. Binaries are looked up on
// PATH, then in Debian's /usr/lib/postgresql/<version>/bin (not on PATH by default).
// RETAIA_TEST_POSTGRES_URL=postgres://user@host/db uses that server instead (databases are
// created and dropped there; nothing is started).
// Running as root (CI): PostgreSQL refuses to run as root, so initdb and the server run as the
// `postgres` user the Debian package creates (or `nobody`), via runuser.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  /** Set when no server is available: why (print it as the tests' skip reason). */
  skipReason?: string;
  /** Creates an empty database and returns its connection URL. */
  createDatabase(): Promise<string>;
  /** Stops the server and deletes its directory (idempotent). */
  stop(): Promise<void>;
}

const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The directory holding initdb/pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgresBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) {
      return dir;
    }
  }
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((v) => existsSync(path.join(DEBIAN_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(DEBIAN_ROOT, versions[0], 'bin') : undefined;
}

function skipped(reason: string): PostgresCluster {
  return {
    skipReason: reason,
    createDatabase: () => Promise.reject(new Error(`no PostgreSQL server: ${reason}`)),
    stop: async () => {},
  };
}

/** The unprivileged user to run the server as when we are root. */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (r.status === 0 && g.status === 0) {
      return { name, uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
    }
  }
  return undefined;
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const external = process.env.RETAIA_TEST_POSTGRES_URL;
  if (external) return databasesOn(external, { dropOnStop: true, stopServer: async () => {} });
  const bin = findPostgresBinDir();
  if (!bin) {
    return skipped(
      'PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin; Debian: apt-get install postgresql)',
    );
  }
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? serverUser() : undefined;
  if (asRoot && !user)
    return skipped('running as root and no postgres/nobody user to run PostgreSQL as');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retaia-pg-'));
  const dataDir = path.join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (tool: string, args: string[]) => {
    const cmd = path.join(bin, tool);
    return user
      ? execFileSync('runuser', ['-u', user.name, '--', cmd, ...args], { stdio: 'pipe' })
      : execFileSync(cmd, args, { stdio: 'pipe' });
  };
  let started = false;
  const stopNow = () => {
    if (started) {
      started = false;
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies without its after() hook still takes its server down.
  process.once('exit', stopNow);
  try {
    run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    run('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      path.join(dir, 'server.log'),
      // Unix socket in our own directory only; fsync off: throwaway data, faster on a loaded box.
      '-o',
      `-k ${dir} -h '' -c fsync=off -c max_connections=200`,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    started = true;
  } catch (err) {
    const detail = (err as { stderr?: Buffer }).stderr?.toString().trim() || String(err);
    stopNow();
    process.removeListener('exit', stopNow);
    return skipped(`could not start a throwaway PostgreSQL server: ${detail.split('\n')[0]}`);
  }
  // The host= parameter (the socket directory) wins over the URL's host in pg and libpq.
  const adminUrl = `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dir)}`;
  return databasesOn(adminUrl, {
    dropOnStop: false, // the whole server goes
    stopServer: async () => {
      stopNow();
      process.removeListener('exit', stopNow);
    },
  });
}

/** createDatabase/stop over a server reachable at `adminUrl` (a database we may CREATE DATABASE from). */
function databasesOn(
  adminUrl: string,
  opts: { dropOnStop: boolean; stopServer: () => Promise<void> },
): PostgresCluster {
  const created: string[] = [];
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    async createDatabase() {
      const name = `retaia_test_${randomBytes(6).toString('hex')}`;
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      if (opts.dropOnStop && created.length) {
        await admin(async (c) => {
          for (const name of created.splice(0)) {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          }
        });
      }
      await opts.stopServer();
    },
  };
}
