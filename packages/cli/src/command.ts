import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KafkaError } from '@rapport/kafka';
import { CliError, usageError } from './cli-errors.js';

type FlagsConfig = NonNullable<ParseArgsConfig['options']>;

/** Flags every command that talks to the gateway takes. */
export const GATEWAY_FLAGS = {
  gateway: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagsConfig;

/** The lines of --help for GATEWAY_FLAGS, descriptions starting at `column`. */
export const gatewayUsage = (column: number) =>
  [
    ['--gateway URL', 'the gateway (default http://$RAPPORT_HOST:$RAPPORT_GATEWAY_PORT)'],
    ['--key KEY', 'write key (default the first of RAPPORT_WRITE_KEYS, else dev-write-key)'],
  ]
    .map(([flag = '', text]) => `  ${flag.padEnd(column - 2)}${text}`)
    .join('\n');

/** Strict flag parsing; a mistake is a usage error rather than a stack trace. */
export function parseFlags<const O extends FlagsConfig>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Runs a command body: expected failures print their message (usage errors with the usage, exit
 * 2; others exit 1); anything else is a bug and keeps its stack for main's handler.
 */
export async function runCommand(
  name: string,
  usage: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CliError && error.code === 'USAGE') {
      console.error(`rapport ${name}: ${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof CliError || error instanceof KafkaError) {
      console.error(`rapport ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
