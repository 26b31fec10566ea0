import pino from 'pino';

/**
 * Structured JSON logs. Token-bearing fields are redacted wherever they
 * appear so a secret never reaches a log line.
 */
export function createLogger(level: string, nodeId: string) {
  return pino({
    level,
    base: { node: nodeId },
    redact: {
      paths: ['token', '*.token', 'authToken', '*.authToken', 'access_token', '*.access_token', 'headers.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}

export type AppLogger = ReturnType<typeof createLogger>;
