import { runService, type Logger } from '@rapport/lifecycle';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { startWorker } from './start.js';

/** The SDK's own lines (worker lifecycle, task failures) go to the service's logger. */
function installRuntime(logger: Logger): void {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('INFO', ({ level, message, meta }) =>
      logger[levels[level]](meta ?? {}, message),
    ),
  });
}

await runService('worker', async (config, logger, startup) => {
  installRuntime(logger);
  const worker = await startWorker(config, logger, { startup });
  // A worker that stops on its own (the server gone for good) must not leave a live, idle process.
  worker.running.catch((error: unknown) => {
    logger.fatal({ err: error }, 'worker stopped unexpectedly');
    process.exit(1);
  });
  return worker;
});
