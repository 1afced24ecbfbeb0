import { ConfigError } from '@rapport/config';
import { InfraError } from '@rapport/infra';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';

/** Where descriptions start in the overview; a longer synopsis gets a line of its own. */
const SUMMARY_COLUMN = 18;

function overview(commands: readonly Command[]): string {
  const indent = ' '.repeat(SUMMARY_COLUMN);
  const entries = commands.map(({ synopsis, summary }) => {
    const lead =
      synopsis.length < SUMMARY_COLUMN - 2
        ? `  ${synopsis.padEnd(SUMMARY_COLUMN - 2)}`
        : `  ${synopsis}\n${indent}`;
    return lead + summary.split('\n').join(`\n${indent}`);
  });
  return `Usage: rapport <command> [options]

Commands:
${entries.join('\n')}

Each command takes --help.

Configuration comes from RAPPORT_* environment variables; see README.md.`;
}

const USAGE = overview(COMMANDS);

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    console.log(USAGE);
    return 2;
  }
  if (name === '--help' || name === '-h') {
    console.log(USAGE);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    console.error(`rapport: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return command.main(args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Expected failures (bad configuration, a server that will not start) get their message only;
  // anything else is a bug and keeps its stack.
  if (error instanceof ConfigError || error instanceof InfraError)
    console.error(`rapport: ${error.message}`);
  else if (error instanceof AggregateError) console.error(`rapport: ${error.message}`);
  else console.error(error);
  process.exitCode = 1;
}
