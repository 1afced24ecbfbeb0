import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

/**
 * Installs the Temporal SDK's runtime (its logger and its core's) for the workers a test starts.
 * Test files share processes, one file at a time, and the SDK keeps one runtime per process until
 * the last of its workers, connections and test servers stops: a file finds none, or one an
 * earlier file left idle.
 *
 * Quietly by default, keeping a runtime already installed: expected failures (a webhook answering
 * 500 on purpose) are logged at WARN by the SDK and its core, and errors still show. Given `logs`,
 * every line of the SDK, its core and the workflows from DEBUG up goes there instead of the
 * console, for a test of what is logged: a runtime already installed is replaced, and the new one
 * ends with the file's workers.
 */
export async function installTemporalRuntime(logs?: (entry: LogEntry) => void): Promise<void> {
  const installed = Runtime._instance;
  if (installed !== undefined) {
    if (logs === undefined) return;
    await installed.shutdown();
  }
  Runtime.install(
    logs === undefined
      ? {
          logger: new DefaultLogger('ERROR'),
          telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
        }
      : {
          logger: new DefaultLogger('DEBUG', logs),
          telemetryOptions: {
            logging: { filter: { core: 'DEBUG', other: 'DEBUG' }, forward: {} },
          },
        },
  );
}
