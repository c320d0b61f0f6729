// The scenarios of e2e/security/crafted-media.test.ts with Core's catalogue on PostgreSQL.
import { runOnPostgres } from './run-on-postgres.js';

await runOnPostgres('crafted-media', () => import('../security/crafted-media.test.js'));
