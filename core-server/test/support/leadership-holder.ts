// Child process for the leadership tests: takes PostgreSQL leadership and holds it until killed.
// argv: <database url> <owner> <lease ms>. Prints one JSON line per change: {"leader":true|false}.
import { PostgresLeadership } from '../../src/server/leadership-postgres.js';

const [url, owner, lease] = process.argv.slice(2);
const leadership = new PostgresLeadership({
  connectionString: url!,
  owner: owner!,
  leaseMs: Number(lease),
});
const say = (leader: boolean) => void process.stdout.write(`${JSON.stringify({ leader })}\n`);
await leadership.start({ onAcquired: () => say(true), onLost: () => say(false) });
if (!leadership.isLeader()) say(false);
// The leadership timer is unref'd; this keeps the process alive until it is killed.
setInterval(() => {}, 60_000);
process.once('SIGTERM', () => void leadership.close().then(() => process.exit(0)));
