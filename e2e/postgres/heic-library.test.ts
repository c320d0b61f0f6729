// The scenarios of e2e/heic-library.test.ts with Core's catalogue on PostgreSQL.
import { runOnPostgres } from './run-on-postgres.js';

await runOnPostgres('heic-library', () => import('../heic-library.test.js'));
