import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_PREFIX, KEY_VARIABLES } from '@rapport/config';
import { run } from './exec.js';

export const composeFile = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'docker-compose.yml',
);

/**
 * Whether a Docker engine answers (not merely whether the client is installed: these machines have
 * the client and no engine). Asked once per process, with a short timeout.
 */
let engineAnswers: Promise<boolean> | undefined;
export function dockerEngineAnswers(): Promise<boolean> {
  engineAnswers ??= run('docker', ['info', '--format', '{{.ServerVersion}}'], {
    timeoutMs: 5_000,
  }).then(
    () => true,
    () => false,
  );
  return engineAnswers;
}

/**
 * The file requires API keys (`${VAR:?}`), and compose reads the whole file even to start only
 * the infrastructure, which uses none: `rapport up` runs those services alone, so any value does.
 */
const compose = (args: readonly string[]) =>
  run('docker', ['compose', '-f', composeFile, ...args], {
    env: {
      ...Object.fromEntries(
        Object.values(KEY_VARIABLES).map((name) => [ENV_PREFIX + name, 'unused-by-infrastructure']),
      ),
      ...process.env,
    },
  });

/** Starts the named services of docker-compose.yml and waits for their healthchecks. */
export async function composeUp(services: readonly string[]): Promise<void> {
  await compose(['up', '-d', '--wait', ...services]);
}

export async function composeDown(): Promise<void> {
  await compose(['down']);
}
