import { logLevel, type LogEntry } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkajsLogCreator, type KafkaLogger } from './logger.js';

describe('kafkajsLogCreator', () => {
  it('logs a repeated kafkajs error once a minute, its repeats at debug', () => {
    const lines: string[] = [];
    const logger: KafkaLogger = {
      error: (_fields, message) => lines.push(`error ${message}`),
      warn: (_fields, message) => lines.push(`warn ${message}`),
      info: (_fields, message) => lines.push(`info ${message}`),
      debug: (_fields, message) => lines.push(`debug ${message}`),
    };
    let now = 0;
    const log = kafkajsLogCreator(logger, () => now)(logLevel.INFO);
    const entry = (level: logLevel, message: string): LogEntry => ({
      namespace: 'Connection',
      level,
      label: 'ERROR',
      log: { timestamp: '', message },
    });

    log(entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED'));
    log(entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED'));
    log(entry(logLevel.INFO, 'Starting'));
    log(entry(logLevel.INFO, 'Starting'));
    now += 60_000;
    log(entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED'));

    expect(lines).toEqual([
      'error kafkajs: Connection error: connect ECONNREFUSED',
      'debug kafkajs: Connection error: connect ECONNREFUSED',
      'info kafkajs: Starting',
      'info kafkajs: Starting',
      'error kafkajs: Connection error: connect ECONNREFUSED',
    ]);
  });
});
