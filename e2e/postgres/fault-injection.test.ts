// The scenarios of e2e/fault-injection.test.ts with Core's catalogue on PostgreSQL.
import { runOnPostgres } from './run-on-postgres.js';

await runOnPostgres('fault-injection', () => import('../fault-injection.test.js'));
