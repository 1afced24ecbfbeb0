import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@rapport/config';
import { InfraError } from '@rapport/infra';
import { down, fetch, status, up } from './commands.js';
import { demoCommand } from './demo.js';
import { dlqCommand } from './dlq.js';
import { importCommand } from './import.js';
import { atRiskCommand, showCommand, tailCommand } from './read-commands.js';
import { replayCommand } from './replay.js';
import { sendCommand } from './send.js';
import { workflowCommand } from './workflow-command.js';

const USAGE = `Usage: rapport <command> [options]

Commands:
  up [--detach] [--demo]
                  Start Kafka, Temporal and Redis (embedded by default) and the services;
                  Ctrl-C stops what it started. --detach leaves them running. --demo feeds
                  them a simulated population once they are ready (see demo).
  down            Stop everything \`rapport up\` started (also after --detach or a crash).
  status          Show each service's endpoint, who runs it, and whether it answers.
  fetch           Download the embedded infrastructure (done by \`up\` too) and the test
                  suite's fuzzer into the cache.
  import <file.csv> [--channel <slug>] [--mapping <file>]
                  Stream a CSV of offline interactions through the gateway; rejected rows go
                  to the dead-letter topic and <file.csv>.rejects.jsonl. Exit 1 if any was.
  send --customer <id> --type <dotted> --direction inbound|outbound --channel <slug> ...
                  Send one event and print the gateway's answer.
  dlq list|replay List dead letters; re-submit them once their cause is fixed.
  show <id>       One customer's engagement, trust, ledger and predictions, read now.
  at-risk         Customers at risk now, and those who will cross next.
  tail            State changes as they happen (--customer, --status filter them).
  demo            Feed the gateway a simulated population (90 days played in 2 minutes).
  replay          Rebuild the read model from the log's start, then switch readers to it.
  workflow <id>   The customer's engagement workflow: state, timers, drops, follow-ups.

Each of import, send, dlq, show, at-risk, tail, demo, replay and workflow takes --help.

Configuration comes from RAPPORT_* environment variables; see README.md.`;

/** Commands with flags of their own parse the rest of the line (and load the config) themselves. */
const ownFlags = new Map<string, (args: readonly string[]) => Promise<number>>([
  ['import', importCommand],
  ['send', sendCommand],
  ['dlq', dlqCommand],
  ['show', showCommand],
  ['at-risk', atRiskCommand],
  ['tail', tailCommand],
  ['demo', demoCommand],
  ['replay', replayCommand],
  ['workflow', workflowCommand],
]);

async function main(argv: readonly string[]): Promise<number> {
  const own = ownFlags.get(argv[0] ?? '');
  if (own !== undefined) return own(argv.slice(1));
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      detach: { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'up':
      return up(config, { detach: values.detach, demo: values.demo });
    case 'down':
      return down(config);
    case 'status':
      return status(config);
    case 'fetch':
      return fetch(config);
    default:
      console.error(`rapport: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
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
