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

/**
 * A warning or error kafkajs repeats within this long of logging it goes to debug: a broker that
 * is down makes it log the same connection error at every retry of every attempt (ten lines an
 * attempt, while a service waits for Kafka at start-up or rides out an outage), and the first
 * says it all. The service's own lines say how the wait goes.
 */
const REPEATS_AFTER_MS = 60_000;
/** Distinct messages remembered; past it the memory starts again (messages can name offsets). */
const REMEMBERED = 256;

/** Routes kafkajs's own log lines (console by default) into the service's structured logger. */
export function kafkajsLogCreator(logger: KafkaLogger, now = Date.now): logCreator {
  const logged = new Map<string, number>();
  const repeated = (message: string) => {
    const at = now();
    const last = logged.get(message);
    if (last !== undefined && at - last < REPEATS_AFTER_MS) return true;
    if (logged.size >= REMEMBERED) logged.clear();
    logged.set(message, at);
    return false;
  };
  return () => (entry: LogEntry) => {
    const { message } = entry.log;
    // kafkajs stamps its own `timestamp`; the service's logger stamps its own time.
    const fields = Object.fromEntries(
      Object.entries(entry.log).filter(([key]) => key !== 'message' && key !== 'timestamp'),
    );
    fields.namespace = entry.namespace;
    const line = `kafkajs: ${message}`;
    if (DELIBERATE.has(message)) return logger.debug(fields, line);
    const warning = entry.level === KafkaJSLevel.ERROR || entry.level === KafkaJSLevel.WARN;
    if (warning && repeated(message)) return logger.debug(fields, line);
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
