// The scenarios of e2e/two-agents.test.ts with Core's catalogue on PostgreSQL.
import { runOnPostgres } from './run-on-postgres.js';

await runOnPostgres('two-agents', () => import('../two-agents.test.js'));
