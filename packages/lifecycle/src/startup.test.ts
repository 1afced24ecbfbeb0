import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';
import { StartupError, WaitingStartup } from './startup.js';

/** A logger whose lines are kept, parsed, for the test to read. */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { lines, logger: createLogger({ logLevel: 'info' }, 'test', { destination }) };
}

const fast = { firstMs: 5, maxMs: 20, repeatLogMs: 60_000 };

describe('WaitingStartup', () => {
  it('retries a step until its server answers, says what it waits for, and logs each new reason once', async () => {
    const { lines, logger } = recordingLogger();
    const startup = new WaitingStartup(logger, fast);
    let attempts = 0;
    const kafka = startup.need('kafka', () => {
      attempts += 1;
      if (attempts <= 4) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9092'));
      return Promise.resolve('connected');
    });
    await expect.poll(() => attempts).toBeGreaterThanOrEqual(2);
    expect(await startup.readiness({})).toEqual({
      status: 'not_ready',
      checks: { kafka: 'connect ECONNREFUSED 127.0.0.1:9092', startup: 'waiting for kafka' },
    });
    await expect(kafka).resolves.toBe('connected');
    expect(attempts).toBe(5);
    expect(await startup.readiness({ kafka: () => Promise.resolve() })).toEqual({
      status: 'not_ready',
      checks: { kafka: 'ok', startup: 'in progress' },
    });
    expect(lines.map((line) => line.msg)).toEqual([
      'waiting for kafka: connect ECONNREFUSED 127.0.0.1:9092',
      expect.stringMatching(/^kafka answered after \d+\.\d s \(5 attempts\)$/),
    ]);

    startup.finish();
    expect(await startup.readiness({ kafka: () => Promise.resolve() })).toEqual({
      status: 'ready',
      checks: { kafka: 'ok' },
    });
  });

  it('stops waiting at once when told to stop, even in the middle of an attempt', async () => {
    const { logger } = recordingLogger();
    const startup = new WaitingStartup(logger, fast);
    const redis = startup.need('redis', () => new Promise<never>(() => undefined));
    startup.stop();
    await expect(redis).rejects.toBeInstanceOf(StartupError);
    await expect(startup.need('temporal', () => Promise.resolve())).rejects.toThrow(
      'stopped while starting',
    );
  });
});
