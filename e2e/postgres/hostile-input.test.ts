// The scenarios of e2e/hostile-input.test.ts with Core's catalogue on PostgreSQL.
import { runOnPostgres } from './run-on-postgres.js';

await runOnPostgres('hostile-input', () => import('../hostile-input.test.js'));
