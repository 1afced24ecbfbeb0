import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KEY_VARIABLES, loadConfig, type Config, type KeyClass } from '@rapport/config';
import { KafkaError } from '@rapport/kafka';
import { CliError, usageError } from './cli-errors.js';
import { ApiClient, apiTarget } from './clients/api.js';
import { gatewayTarget, type GatewayTarget } from './clients/gateway.js';

type FlagsConfig = NonNullable<ParseArgsConfig['options']>;

/** The values strict parsing gives for `flags`. */
type FlagValues<F extends FlagsConfig> = ReturnType<
  typeof parseArgs<{ options: F; allowPositionals: true; strict: true }>
>['values'];

/** A `rapport` command as the dispatch knows it: its entry in the overview, and its run. */
export interface Command {
  readonly name: string;
  /** The command line the overview shows: `show <id>`, `dlq list|replay`. */
  readonly synopsis: string;
  /** The overview's description, wrapped to fit beside the synopses. */
  readonly summary: string;
  /** Runs the command on the words after its name; resolves to the exit code. */
  main(args: readonly string[]): Promise<number>;
}

/**
 * The server a command talks to over HTTP: its flags name it, and the preamble connects to it.
 * `api-admin` is the query API with an admin key, for its admin routes.
 */
type Server = 'gateway' | 'api' | 'api-admin';

const SERVER_FLAGS = {
  gateway: { gateway: { type: 'string' }, key: { type: 'string' } },
  api: { api: { type: 'string' }, key: { type: 'string' } },
  'api-admin': { api: { type: 'string' }, key: { type: 'string' } },
} as const satisfies Record<Server, FlagsConfig>;

const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const satisfies FlagsConfig;

/** Help lines for flags, descriptions starting at `column`. */
const flagLines = (column: number, lines: readonly (readonly [string, string])[]) =>
  lines.map(([flag, text]) => `  ${flag.padEnd(column - 2)}${text}`).join('\n');

const URL_LINES = {
  gateway: ['--gateway URL', 'the gateway (default http://$RAPPORT_HOST:$RAPPORT_GATEWAY_PORT)'],
  api: ['--api URL', 'the query API (default http://$RAPPORT_HOST:$RAPPORT_API_PORT)'],
} as const;

/** The --help lines of a server's flags with a key of `keyClass`, descriptions from `column`. */
function serverUsage(column: number, server: keyof typeof URL_LINES, keyClass: KeyClass): string {
  return flagLines(column, [
    URL_LINES[server],
    [
      '--key KEY',
      `${keyClass} key (default the first of RAPPORT_${KEY_VARIABLES[keyClass]}, else dev-${keyClass}-key)`,
    ],
  ]);
}

/** The --help lines of the gateway's flags, descriptions starting at `column`. */
export const gatewayUsage = (column: number) => serverUsage(column, 'gateway', 'write');

/** The --help lines of the query API's flags. */
export const API_USAGE = serverUsage(16, 'api', 'read');

/** The same for the commands that call the query API's admin routes, from `column`. */
export const apiAdminUsage = (column: number) => serverUsage(column, 'api', 'admin');

/** What a command takes after its flags: one operand, several in order, or none. */
type Operands = string | readonly string[] | undefined;

/**
 * What a command runs with: its flags, its operand (or operands, in the order declared), the
 * configuration and its server's client.
 */
export type CommandInput<
  F extends FlagsConfig,
  S extends Server | undefined,
  O extends Operands,
> = {
  readonly flags: FlagValues<F>;
  readonly config: Config;
} & (O extends string ? { readonly operand: string } : unknown) &
  (O extends readonly string[]
    ? { readonly operands: { readonly [K in keyof O]: string } }
    : unknown) &
  (S extends 'gateway' ? { readonly gateway: GatewayTarget } : unknown) &
  (S extends 'api' | 'api-admin' ? { readonly api: ApiClient } : unknown);

export interface CommandSpec<
  F extends FlagsConfig,
  S extends Server | undefined,
  O extends Operands,
> {
  readonly name: string;
  readonly synopsis: string;
  readonly summary: string;
  /** The full text of `--help`; a usage error prints it too. */
  readonly usage: string;
  /** The command's own flags; `--help` and its server's are added. */
  readonly flags: F;
  readonly server?: S;
  /**
   * What the one argument after the flags is (`customer id`), or each of several in order
   * (`['action (start)', 'customer id']`); none is taken when absent.
   */
  readonly operand?: O;
  run(input: CommandInput<F, S, O>): Promise<number>;
}

/**
 * A command with the preamble every command shares: strict flags, `--help`, its operand checked,
 * the configuration loaded and its server's client made, and failures printed as runCommand
 * prints them.
 */
export function defineCommand<
  const F extends FlagsConfig,
  S extends Server | undefined = undefined,
  const O extends Operands = undefined,
>(spec: CommandSpec<F, S, O>): Command {
  const options = {
    ...(spec.server === undefined ? {} : SERVER_FLAGS[spec.server]),
    ...spec.flags,
    ...HELP_FLAG,
  };
  return {
    name: spec.name,
    synopsis: spec.synopsis,
    summary: spec.summary,
    main: (args) =>
      runCommand(spec.name, spec.usage, async () => {
        const parsed = parseFlags(args, options);
        // Strict parsing of `options`: the command's flags, its server's (strings) and --help.
        const values = parsed.values as FlagValues<F> & {
          readonly gateway?: string;
          readonly api?: string;
          readonly key?: string;
          readonly help?: boolean;
        };
        if (values.help) {
          console.log(spec.usage);
          return 0;
        }
        const operands = operandsOf(parsed.positionals, spec.operand);
        const config = loadConfig();
        const connect = {
          gateway: () => ({ gateway: gatewayTarget(config, values) }),
          api: () => ({ api: new ApiClient(apiTarget(config, values)) }),
          'api-admin': () => ({ api: new ApiClient(apiTarget(config, values, 'admin')) }),
        };
        // The optional parts of the input follow spec.server and spec.operand, as declared.
        const input = {
          flags: values,
          config,
          ...(typeof spec.operand === 'string' ? { operand: operands[0] } : { operands }),
          ...(spec.server === undefined ? {} : connect[spec.server]()),
        } as CommandInput<F, S, O>;
        return spec.run(input);
      }),
  };
}

/** The arguments a command declared (one, several or none); anything else is a usage error. */
function operandsOf(positionals: readonly string[], operand: Operands): readonly string[] {
  if (operand === undefined) {
    if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`);
    return [];
  }
  if (typeof operand === 'string') {
    if (positionals.length !== 1) throw usageError(`give exactly one ${operand}`);
    return positionals;
  }
  if (positionals.length !== operand.length) {
    throw usageError(`give ${operand.map((name) => `<${name}>`).join(' ')}`);
  }
  return positionals;
}

/** A flag's whole number from `min` to `max` (unbounded when absent); else a usage error. */
export function wholeNumber(flag: string, text: string, min: number, max?: number): number {
  const value = Number(text);
  if (Number.isInteger(value) && value >= min && value <= (max ?? Infinity)) return value;
  throw usageError(
    max === undefined
      ? `${flag} takes a whole number ≥ ${min}`
      : `${flag} takes a whole number from ${min} to ${max}`,
  );
}

/** What strict parsing gives for `options`: their values and the positionals. */
type ParsedFlags<O extends FlagsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** Strict flag parsing; a mistake is a usage error rather than a stack trace. */
export function parseFlags<const O extends FlagsConfig>(
  args: readonly string[],
  options: O,
): ParsedFlags<O> {
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
