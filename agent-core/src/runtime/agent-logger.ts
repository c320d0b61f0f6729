// The agent's structured JSON logger (pino). Secrets never reach a log line: the code never
// passes them, and these redaction paths are the second fence.
import pino, { type DestinationStream, type Logger } from 'pino';

export type AgentLogger = Logger;

export const REDACTED_LOG_PATHS = [
  'secret_key',
  'secretKey',
  'access_token',
  'accessToken',
  'privateKeyArmored',
  'private_key',
  'authorization',
  '*.secret_key',
  '*.secretKey',
  '*.access_token',
  '*.accessToken',
  '*.privateKeyArmored',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

export function createAgentLogger(
  opts: { level?: string; destination?: DestinationStream } = {},
): AgentLogger {
  return pino(
    {
      name: 'retaia-agent',
      level: opts.level ?? 'info',
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
