import type { AppLogger } from './logger';

/** The adapters log as (message, fields); pino takes (fields, message). */
export function messageFirstLogger(logger: AppLogger) {
  return {
    info: (msg: string, fields?: Record<string, unknown>) => logger.info(fields ?? {}, msg),
    warn: (msg: string, fields?: Record<string, unknown>) => logger.warn(fields ?? {}, msg),
    error: (msg: string, fields?: Record<string, unknown>) => logger.error(fields ?? {}, msg),
  };
}
