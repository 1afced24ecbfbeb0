import { cpus } from 'node:os';
import { printTable } from './infra.js';
import {
  ACK_P99_LIMIT_MS,
  format,
  holds,
  missed,
  OBJECTIVES,
  sustained,
  type StepFigures,
} from './slo.js';
import type { PostLoad } from './vegeta.js';
import type { WorkflowBacklog } from './workflow-backlog.js';

/** What one step of `bench:pipeline` measured. */
export interface StepResult {
  readonly figures: StepFigures;
  readonly load: PostLoad;
  readonly freshness: { p50: number; seen: number; acked: number };
  /** The bridge's own gauge and its group's lag on the log, and the projector's (s). */
  readonly lag: { gauge: number; log: number; projector: number };
  /**
   * Answers slower than the acknowledgement's objective: vegeta's, the gateway's own from
   * arrival to answer (every sender's: the probe's and the crossings' too) and its publishes.
   */
  readonly slowAcks: { client: number; gateway: number; publish: number };
  readonly signalsPerSecond: number;
  readonly eventsPerSignal: number;
  readonly followUps: readonly number[];
  /** From the same instants to the drop timers' firing, before each follow-up started (ms). */
  readonly timersFired: readonly number[];
  /** The worker's workflow tasks waiting as the step began and as it ended. */
  readonly backlog: { readonly before: WorkflowBacklog; readonly after: WorkflowBacklog };
  readonly cores: Map<string, number>;
  readonly machineCores: number;
  /** Services whose process had exited by the step's end (`rapport up` would restart them). */
  readonly exited: readonly string[];
  drainedSeconds?: number;
}

const ms = (value: number) =>
  Number.isNaN(value) ? '—' : Number.isFinite(value) ? value.toFixed(1) : 'never';

/** The SLO table of one step: each figure beside its objective. */
export function printStep(result: StepResult, stepSeconds: number): void {
  const { figures } = result;
  const misses = new Set(missed(figures));
  printTable(
    `step ${figures.rate.toLocaleString('en-US')} events/s for ${stepSeconds} s: ${holds(figures) ? 'every objective held' : 'missed'}`,
    [
      ['measure', 'value', 'objective', ''],
      [
        "events/s sent (vegeta and the freshness probe); share of vegeta's answered 202",
        `${figures.sentRate}; ${(figures.acceptedShare * 100).toFixed(2)}%`,
        '',
        '',
      ],
      ...OBJECTIVES.map((objective) => [
        objective.name,
        format(objective, objective.of(figures)),
        `≤ ${format(objective, objective.limit)}`,
        misses.has(objective) ? 'MISSED' : 'ok',
      ]),
      ['ack p50 (ms)', ms(result.load.p50), '', ''],
      [
        `answers over ${ACK_P99_LIMIT_MS} ms: vegeta's of ${result.load.requests}; the gateway's own (every sender's); its publishes`,
        `${result.slowAcks.client}; ${result.slowAcks.gateway}; ${result.slowAcks.publish}`,
        '',
        '',
      ],
      [
        'freshness p50 (ms); events seen / acknowledged',
        `${ms(result.freshness.p50)}; ${result.freshness.seen} / ${result.freshness.acked}`,
        '',
        '',
      ],
      [
        'lag (s): bridge gauge / bridge group on the log / projector group',
        `${result.lag.gauge.toFixed(1)} / ${result.lag.log.toFixed(1)} / ${result.lag.projector.toFixed(1)}`,
        '',
        '',
      ],
      [
        'workflow signals/s; events per signal',
        `${result.signalsPerSecond.toFixed(0)}; ${result.eventsPerSignal.toFixed(2)}`,
        '',
        '',
      ],
      [
        'workflow tasks waiting: start → end (oldest, s); dispatched/s',
        `${result.backlog.before.count} → ${result.backlog.after.count} (${result.backlog.after.ageSeconds.toFixed(0)}); ${result.backlog.after.dispatchedPerSecond.toFixed(1)}`,
        '',
        '',
      ],
      [
        'follow-ups started after their instant (ms)',
        result.followUps.map((delay) => ms(delay)).join(', ') || 'no crossing in the step',
        '',
        '',
      ],
      [
        '  their drop timers fired after it (ms)',
        result.timersFired.map((delay) => ms(delay)).join(', ') || 'no crossing in the step',
        '',
        '',
      ],
      [
        'CPU (cores)',
        [...result.cores, ['machine', result.machineCores] as const]
          .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
          .join(', '),
        '',
        '',
      ],
    ],
  );
}

/**
 * The steps side by side, the CPU of each process group, the raw producer's rate, the highest
 * sustained rate and what broke first above it.
 */
export function printSummary(
  results: readonly StepResult[],
  stepSeconds: number,
  raw: { readonly rate: number; readonly events: number },
): void {
  printTable(`pipeline steps (${stepSeconds} s each; ms unless stated)`, [
    [
      'events/s',
      'sent',
      '202 %',
      'ack p50/p99',
      'fresh p50/p99',
      'bridge lag s (gauge / log)',
      'signals/s',
      'ev/signal',
      'follow-up max',
      'wf tasks waiting (oldest s)',
      'drained s',
      'verdict',
    ],
    ...results.map((result) => [
      result.figures.rate,
      result.figures.sentRate,
      (result.figures.acceptedShare * 100).toFixed(2),
      `${ms(result.load.p50)} / ${ms(result.load.p99)}`,
      `${ms(result.freshness.p50)} / ${ms(result.figures.freshnessP99)}`,
      `${result.lag.gauge.toFixed(1)} / ${result.lag.log.toFixed(1)}`,
      result.signalsPerSecond.toFixed(0),
      result.eventsPerSignal.toFixed(2),
      `${ms(result.figures.followUpMax)} (${result.followUps.length})`,
      `${result.backlog.after.count} (${result.backlog.after.ageSeconds.toFixed(0)})`,
      result.drainedSeconds?.toFixed(0) ?? '—',
      holds(result.figures)
        ? 'held'
        : missed(result.figures)
            .map((objective) => objective.name)
            .join(', ') || 'load not taken',
    ]),
  ]);
  const groups = [...(results[0]?.cores.keys() ?? [])];
  printTable('CPU per process group (cores; the machine has ' + cpus().length + ')', [
    ['events/s', ...groups, 'machine'],
    ...results.map((result) => [
      result.figures.rate,
      ...groups.map((name) => (result.cores.get(name) ?? NaN).toFixed(2)),
      result.machineCores.toFixed(2),
    ]),
  ]);
  const found = sustained(results.map((result) => result.figures));
  console.log(
    `\n  raw kafkajs producer, same broker: ${raw.rate.toLocaleString('en-US')} events/s ` +
      `(${raw.events.toLocaleString('en-US')} events, batches of 500, 8 in flight, acks=-1)`,
  );
  console.log(
    `  highest sustained rate with every objective held: ${
      found.rate === undefined
        ? 'none (the first step missed)'
        : `${found.rate.toLocaleString('en-US')} events/s (${(found.rate / raw.rate).toFixed(3)} of the raw producer)`
    }`,
  );
  if (found.brokeAt !== undefined) {
    console.log(
      `  first to break, at ${found.brokeAt.toLocaleString('en-US')} events/s: ${found.broke.join('; ')}`,
    );
  }
}
