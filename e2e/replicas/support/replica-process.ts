// One Core replica in its own process (the replica tests and bench start several on one
// PostgreSQL database). argv[2]: the startCoreServer options as JSON. Prints one JSON line
// {"apiUrl":…} once listening; SIGTERM closes it cleanly, SIGKILL is the crash under test.
import pino from 'pino';
import { startCoreServer } from '../../../core-server/src/index.js';

const options = JSON.parse(process.argv[2]!) as Parameters<typeof startCoreServer>[0];
const server = await startCoreServer({
  ...options,
  host: '127.0.0.1',
  port: 0,
  buildReviewUi: false,
  logger: pino({ level: process.env.RETAIA_REPLICA_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
});
process.stdout.write(`${JSON.stringify({ apiUrl: server.apiUrl, pid: process.pid })}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
