// The scenarios of e2e/crash-and-restart.test.ts with Core's catalogue on PostgreSQL.
import { runOnPostgres } from './run-on-postgres.js';

await runOnPostgres('crash-and-restart', () => import('../crash-and-restart.test.js'));
