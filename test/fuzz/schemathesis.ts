import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** How schemathesis authenticates for a security scheme of the document (by its name). */
export type SchemeAuth =
  | { readonly bearer: string }
  | { readonly username: string; readonly password: string };

/** Options for the operations matched by `path` (a regular expression), as schemathesis.toml has them. */
export interface OperationSettings {
  readonly path: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

export type Phase = 'examples' | 'coverage' | 'fuzzing' | 'stateful';

export interface SchemathesisRun {
  /** The venv's Python (`fetchSchemathesis`). */
  readonly python: string;
  /** The service's origin; its document is `<url>/openapi.json`. */
  readonly url: string;
  readonly auth: Readonly<Record<string, SchemeAuth>>;
  /** Values to mix into parameters that random data would rarely hit (real customer ids). */
  readonly dictionaries?: Readonly<Record<string, { readonly values: readonly string[] }>>;
  readonly parameters?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly operations?: readonly OperationSettings[];
  readonly examplesPerOperation: number;
  readonly phases?: readonly Phase[];
  readonly seed: number;
}

export interface SchemathesisResult {
  readonly exitCode: number;
  /** Test cases generated, all phases. */
  readonly cases: number;
  /** Failed checks by check name (a case can fail several). */
  readonly failuresByCheck: ReadonlyMap<string, number>;
  /** Answers with a 5xx status. */
  readonly serverErrors: number;
  /** What schemathesis printed: the failures with a curl line to reproduce each. */
  readonly output: string;
}

/** TOML: JSON's strings, numbers, booleans and arrays are TOML's; tables are written inline. */
function toml(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(toml).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const pairs = Object.entries(value).map(
      ([key, item]) => `${JSON.stringify(key)} = ${toml(item)}`,
    );
    return `{ ${pairs.join(', ')} }`;
  }
  return JSON.stringify(value);
}

const section = (header: string, entries: Readonly<Record<string, unknown>>) =>
  [
    header,
    ...Object.entries(entries).map(([key, value]) => `${JSON.stringify(key)} = ${toml(value)}`),
  ].join('\n');

function configFile(run: SchemathesisRun): string {
  return [
    ...Object.entries(run.auth).map(([scheme, auth]) => section(`[auth.openapi.${scheme}]`, auth)),
    ...Object.entries(run.dictionaries ?? {}).map(([name, values]) =>
      section(`[dictionaries.${name}]`, values),
    ),
    section('[parameters]', run.parameters ?? {}),
    ...(run.operations ?? []).map(({ path, settings }) =>
      section('[[operations]]', { 'include-path-regex': path, ...settings }),
    ),
  ].join('\n\n');
}

/** The part of schemathesis' NDJSON event log read here: each scenario's checks and answers. */
const ScenarioFinished = z.object({
  ScenarioFinished: z.object({
    recorder: z.object({
      checks: z
        .record(z.string(), z.array(z.object({ name: z.string(), status: z.string() })))
        .optional(),
      interactions: z
        .record(z.string(), z.object({ response: z.object({ status_code: z.number() }).nullish() }))
        .optional(),
    }),
  }),
});

const JsonReport = z.object({ test_cases: z.object({ generated: z.number() }) });

/**
 * One `schemathesis run` against a service's `/openapi.json` with every check, a fixed seed, and
 * no state kept between runs (no example database), read back from its reports.
 */
export async function runSchemathesis(run: SchemathesisRun): Promise<SchemathesisResult> {
  const dir = await mkdtemp(join(tmpdir(), 'rapport-schemathesis-'));
  try {
    const config = join(dir, 'schemathesis.toml');
    await writeFile(config, configFile(run));
    const { exitCode, output } = await execute(
      run.python,
      [
        '-m',
        'schemathesis.cli',
        '--config-file',
        config,
        'run',
        `${run.url}/openapi.json`,
        '--checks',
        'all',
        '--max-examples',
        String(run.examplesPerOperation),
        '--seed',
        String(run.seed),
        ...(run.phases ? ['--phases', run.phases.join(',')] : []),
        '--continue-on-failure',
        '--generation-database',
        'none',
        '--report',
        'ndjson,json',
        '--report-dir',
        dir,
        '--no-color',
      ],
      dir,
    );
    return { exitCode, output, ...(await readReports(dir)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs to the end whatever the exit code: schemathesis exits 1 when it found failures. */
function execute(command: string, args: readonly string[], cwd: string) {
  return new Promise<{ exitCode: number; output: string }>((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // A failing case's curl line can hold a 16 KB URL: enough of it to recognise the case.
      const output = `${stdout}${stderr}`
        .split('\n')
        .map((line) =>
          line.length > 500 ? `${line.slice(0, 500)}… (${line.length} characters)` : line,
        )
        .join('\n');
      if (error === null) resolve({ exitCode: 0, output });
      else if (typeof error.code === 'number') resolve({ exitCode: error.code, output });
      else reject(new Error(`${command} did not run: ${error.message}`, { cause: error }));
    });
  });
}

async function readReports(dir: string) {
  const files = await readdir(dir);
  const report = (prefix: string) => {
    const file = files.find((name) => name.startsWith(prefix));
    if (file === undefined) throw new Error(`schemathesis wrote no ${prefix} report`);
    return readFile(join(dir, file), 'utf8');
  };
  const { test_cases } = JsonReport.parse(JSON.parse(await report('json-')));
  const failuresByCheck = new Map<string, number>();
  let serverErrors = 0;
  for (const line of (await report('ndjson-')).split('\n')) {
    const event = line === '' ? undefined : ScenarioFinished.safeParse(JSON.parse(line));
    if (!event?.success) continue;
    const { checks = {}, interactions = {} } = event.data.ScenarioFinished.recorder;
    for (const interaction of Object.values(interactions)) {
      if ((interaction.response?.status_code ?? 0) >= 500) serverErrors += 1;
    }
    for (const results of Object.values(checks)) {
      for (const check of results) {
        if (check.status !== 'failure') continue;
        failuresByCheck.set(check.name, (failuresByCheck.get(check.name) ?? 0) + 1);
      }
    }
  }
  return { cases: test_cases.generated, failuresByCheck, serverErrors };
}
