// The scenarios of e2e/mixed-library.test.ts with Core's catalogue on PostgreSQL.
import { runOnPostgres } from './run-on-postgres.js';

await runOnPostgres('mixed-library', () => import('../mixed-library.test.js'));
