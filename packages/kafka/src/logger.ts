import { logLevel as KafkaJSLevel, type LogEntry, type logCreator } from 'kafkajs';

/** The part of a structured logger (pino's shape) this package writes to. */
export interface KafkaLogger {
  error(fields: Readonly<Record<string, unknown>>, message: string): void;
  warn(fields: Readonly<Record<string, unknown>>, message: string): void;
  info(fields: Readonly<Record<string, unknown>>, message: string): void;
  debug(fields: Readonly<Record<string, unknown>>, message: string): void;
}

/** The same names as `RAPPORT_LOG_LEVEL`, so a service passes `config.logLevel` straight through. */
export type KafkaLogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const silentLogger: KafkaLogger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};

const KAFKAJS_LEVEL: Record<KafkaLogLevel, KafkaJSLevel> = {
  fatal: KafkaJSLevel.ERROR,
  error: KafkaJSLevel.ERROR,
  warn: KafkaJSLevel.WARN,
  info: KafkaJSLevel.INFO,
  debug: KafkaJSLevel.DEBUG,
  trace: KafkaJSLevel.DEBUG,
  silent: KafkaJSLevel.NOTHING,
};

export function kafkajsLevel(level: KafkaLogLevel): KafkaJSLevel {
  return KAFKAJS_LEVEL[level];
}

/**
 * Warnings about choices made here on purpose, demoted to debug so that they do not read as
 * faults in every service's start-up log: the producer bounds its retries so that a publish the
 * caller already answered 503 stops retrying soon after (producer.ts explains why that keeps the
 * guarantee that matters).
 */
const DELIBERATE = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

/** Routes kafkajs's own log lines (console by default) into the service's structured logger. */
export function kafkajsLogCreator(logger: KafkaLogger): logCreator {
  return () => (entry: LogEntry) => {
    const { message } = entry.log;
    // kafkajs stamps its own `timestamp`; the service's logger stamps its own time.
    const fields = Object.fromEntries(
      Object.entries(entry.log).filter(([key]) => key !== 'message' && key !== 'timestamp'),
    );
    fields.namespace = entry.namespace;
    const line = `kafkajs: ${message}`;
    if (DELIBERATE.has(message)) return logger.debug(fields, line);
    switch (entry.level) {
      case KafkaJSLevel.ERROR:
        return logger.error(fields, line);
      case KafkaJSLevel.WARN:
        return logger.warn(fields, line);
      case KafkaJSLevel.INFO:
        return logger.info(fields, line);
      default:
        return logger.debug(fields, line);
    }
  };
}
