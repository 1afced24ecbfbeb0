import { randomInt } from 'node:crypto';
import { fetchSchemathesis } from '@rapport/infra';
import { z } from 'zod';
import {
  runSchemathesis,
  type OperationSettings,
  type Phase,
  type SchemathesisResult,
  type SchemeAuth,
} from './schemathesis.js';
import { CHANNELS, CUSTOMERS, FUZZ_KEYS, startStack } from './stack.js';

/**
 * Fuzzing of both HTTP services with schemathesis against their own `/openapi.json`: every
 * check, one seed per run (FUZZ_SEED reproduces a run). `pnpm fuzz` (main.ts) and the test suite
 * (fuzz.test.ts) run this with different sizes.
 */

export interface FuzzOptions {
  /** The servers, topics and key prefix to use, as RAPPORT_* variables. */
  readonly env: Readonly<Record<string, string>>;
  readonly cacheDir: string;
  /** Test cases to generate per service, at least (examples per operation are sized for it). */
  readonly casesPerService: number;
  /** schemathesis' phases to run; all of them unless given. */
  readonly phases?: readonly Phase[];
  readonly seed: number;
}

export interface ServiceFuzz extends SchemathesisResult {
  readonly service: 'gateway' | 'api';
  readonly examplesPerOperation: number;
  readonly minimumCases: number;
  readonly seconds: number;
}

/**
 * The run's seed: FUZZ_SEED when given, so that a failure can be replayed, else `fallback` (the
 * test suite's fixed one, so that CI judges every commit on the same cases), else a new one.
 */
export function fuzzSeed(fallback?: number): number {
  const given = process.env['FUZZ_SEED'];
  if (given !== undefined && given !== '') return Number(given);
  return fallback ?? randomInt(2 ** 31);
}

const bearer = (key: string): SchemeAuth => ({ bearer: key });

/**
 * schemathesis' default for `positive_data_acceptance`, plus 400: for operations whose input has
 * rules no JSON Schema can state, so that a schema-valid request may still be refused.
 */
const acceptingRefusals = {
  checks: {
    positive_data_acceptance: {
      'expected-statuses': ['2xx', '3xx', '400', '401', '403', '404', '409', '429', '5xx'],
    },
  },
};

/**
 * The same, plus 422 for the ingestion routes: the API's fuzz erases customers (`DELETE
 * /v1/customers/{id}`, the same ids), and a valid event naming an erased customer is refused
 * with `422 CUSTOMER_ERASED` (documented), whatever its shape.
 */
const acceptingRefusalsAndErasures = {
  checks: {
    positive_data_acceptance: {
      'expected-statuses': [
        ...acceptingRefusals.checks.positive_data_acceptance['expected-statuses'],
        '422',
      ],
    },
  },
};

interface Target {
  readonly service: ServiceFuzz['service'];
  readonly url: string;
  readonly auth: Readonly<Record<string, SchemeAuth>>;
  readonly dictionaries: Readonly<Record<string, { readonly values: readonly string[] }>>;
  readonly parameters: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly operations: readonly OperationSettings[];
}

function targets(gateway: string, api: string): Target[] {
  return [
    {
      service: 'gateway',
      url: gateway,
      auth: {
        writeKey: bearer(FUZZ_KEYS.write),
        segmentWriteKey: { username: FUZZ_KEYS.write, password: '' },
        adminKey: bearer(FUZZ_KEYS.admin),
      },
      dictionaries: { channels: { values: CHANNELS } },
      parameters: { 'path.channel': { dictionary: 'channels', probability: 0.8 } },
      operations: [
        {
          // Every ingestion route but the webhooks' (which dead-letter what they cannot map): an
          // event dated more than 5 minutes ahead, over 32 KB once serialised, a Segment call
          // whose mapped event is not a valid one, a source not in RAPPORT_CLIENT_SOURCES.
          path: '^/v1/(?!channels/)',
          settings: acceptingRefusalsAndErasures,
        },
      ],
    },
    {
      service: 'api',
      url: api,
      auth: { readKey: bearer(FUZZ_KEYS.read), adminKey: bearer(FUZZ_KEYS.admin) },
      // Random ids are unknown customers (404): real ones get their 200s checked too.
      dictionaries: { customers: { values: CUSTOMERS } },
      parameters: {
        'path.id': { dictionary: 'customers', probability: 0.5 },
        'query.customer': { dictionary: 'customers', probability: 0.5 },
      },
      operations: [
        // A cursor is opaque and bound to its filters; sorting by `at_risk_at` excludes dormant.
        { path: '^/v1/customers$', settings: acceptingRefusals },
        {
          // A stream never ends: schemathesis reads it until one event or the timeout. A
          // Last-Event-ID dated ahead of the clock is refused. The timeout also bounds the wait
          // for the 200, which comes once the catch-up from Last-Event-ID is read (up to two
          // thousand changes parsed): on two cores busy with the suite's other files it once
          // came later than that, so a stream not started in time is asked once more (after
          // schemathesis's one-second back-off) before it counts as an error.
          path: '^/v1/stream$',
          settings: {
            'request-timeout': 0.25,
            'request-retries': 1,
            'max-stream-events': 1,
            ...acceptingRefusals,
          },
        },
      ],
    },
  ];
}

/** The part of an OpenAPI document read here: which operations take input. */
const DocumentSchema = z.object({
  paths: z.record(
    z.string(),
    z.record(
      z.string(),
      z.object({
        parameters: z.array(z.unknown()).optional(),
        requestBody: z.object({}).optional(),
      }),
    ),
  ),
});

/** Operations that take input, whose examples add up to the cases wanted. */
async function inputOperations(url: string): Promise<number> {
  const document = DocumentSchema.parse(await (await fetch(`${url}/openapi.json`)).json());
  return Object.values(document.paths)
    .flatMap((path) => Object.values(path))
    .filter((operation) => (operation.parameters?.length ?? 0) > 0 || operation.requestBody).length;
}

/** Starts the services, fuzzes both at once, stops them. */
export async function fuzzServices(options: FuzzOptions): Promise<ServiceFuzz[]> {
  const python = await fetchSchemathesis(options.cacheDir);
  const stack = await startStack(options.env);
  try {
    return await Promise.all(
      targets(stack.gateway, stack.api).map(async ({ service, ...target }) => {
        const started = performance.now();
        const examplesPerOperation = Math.ceil(
          options.casesPerService / (await inputOperations(target.url)),
        );
        const result = await runSchemathesis({
          python,
          ...target,
          examplesPerOperation,
          ...(options.phases && { phases: options.phases }),
          seed: options.seed,
        });
        return {
          service,
          examplesPerOperation,
          minimumCases: options.casesPerService,
          seconds: (performance.now() - started) / 1000,
          ...result,
        };
      }),
    );
  } finally {
    await stack.stop();
  }
}

/** A run passes with no failure, no 5xx, and as many cases as wanted. */
export const passed = (fuzz: ServiceFuzz): boolean =>
  fuzz.exitCode === 0 &&
  fuzz.failuresByCheck.size === 0 &&
  fuzz.serverErrors === 0 &&
  fuzz.cases >= fuzz.minimumCases;

/** Per service: cases, failures by check, 5xx count. */
export function summary(results: readonly ServiceFuzz[], seed: number): string {
  const lines = [`seed ${seed} (FUZZ_SEED=${seed} runs the same cases again)`];
  for (const fuzz of results) {
    const checks = [...fuzz.failuresByCheck].map(([check, count]) => `${check} ${count}`);
    lines.push(
      `${fuzz.service}: ${passed(fuzz) ? 'passed' : 'FAILED'} in ${fuzz.seconds.toFixed(1)} s, ${fuzz.cases} cases (${fuzz.examplesPerOperation} examples per operation, ${fuzz.minimumCases} wanted), ` +
        `failures: ${checks.length === 0 ? 'none' : checks.join(', ')}, 5xx: ${fuzz.serverErrors}, schemathesis exit ${fuzz.exitCode}`,
    );
  }
  return lines.join('\n');
}
