/** What one step of the pipeline benchmark measured, as the objectives read it. */
export interface StepFigures {
  /** Events per second the step offers the pipeline (vegeta's and the freshness probe's). */
  readonly rate: number;
  /** Events per second sent (below `rate` when the senders could not keep the pace). */
  readonly sentRate: number;
  /** Share of vegeta's requests the gateway answered 202. */
  readonly acceptedShare: number;
  /** Milliseconds. */
  readonly ackP99: number;
  readonly freshnessP99: number;
  /** Seconds. */
  readonly bridgeLag: number;
  /** The slowest follow-up start after its predicted instant (ms); NaN with no crossing. */
  readonly followUpMax: number;
}

export interface Objective {
  readonly name: string;
  readonly limit: number;
  readonly unit: 'ms' | 's';
  readonly of: (step: StepFigures) => number;
}

/** The acknowledgement's objective: its p99 at most this (ms). */
export const ACK_P99_LIMIT_MS = 50;

/** The pipeline's service-level objectives (issue 26). */
export const OBJECTIVES: readonly Objective[] = [
  { name: 'ack p99', limit: ACK_P99_LIMIT_MS, unit: 'ms', of: (step) => step.ackP99 },
  { name: 'freshness p99', limit: 100, unit: 'ms', of: (step) => step.freshnessP99 },
  { name: 'bridge lag', limit: 5, unit: 's', of: (step) => step.bridgeLag },
  { name: 'follow-up delay', limit: 1_000, unit: 'ms', of: (step) => step.followUpMax },
];

/**
 * The load was taken: vegeta kept the pace and the gateway accepted (nearly) every request. A
 * pipeline that refuses events meets its latency objectives on the events it does not refuse.
 */
const delivered = (step: StepFigures) =>
  step.sentRate >= 0.95 * step.rate && step.acceptedShare >= 0.999;

/** The objectives `step` missed (a figure not measured, NaN, misses none), worst first. */
export function missed(step: StepFigures): Objective[] {
  return OBJECTIVES.filter((objective) => objective.of(step) > objective.limit).sort(
    (a, b) => b.of(step) / b.limit - a.of(step) / a.limit,
  );
}

/** Every objective held and the load was taken. */
export const holds = (step: StepFigures) => delivered(step) && missed(step).length === 0;

/**
 * Past any point where a higher step could tell more: a tenth of the load not taken, or an
 * objective of the path every event takes (acknowledgement, freshness, the bridge) missed five
 * times over; higher steps then only take longer to fail. The follow-up delay alone does not stop
 * the steps: it is a handful of customers behind the worker's own queue, which the steps above
 * still measure the front of the pipeline without.
 */
export const clearlyBroken = (step: StepFigures) =>
  step.sentRate < 0.9 * step.rate ||
  step.acceptedShare < 0.9 ||
  OBJECTIVES.filter((objective) => objective.name !== 'follow-up delay').some(
    (objective) => objective.of(step) >= 5 * objective.limit,
  );

/**
 * The highest rate of the steps that all held from the first one up, and what failed at the next
 * step: the objectives missed there (worst first), or the load not taken.
 */
export function sustained(steps: readonly StepFigures[]): {
  readonly rate: number | undefined;
  readonly brokeAt: number | undefined;
  readonly broke: readonly string[];
} {
  const failing = steps.findIndex((step) => !holds(step));
  const last = failing < 0 ? steps.at(-1) : steps[failing - 1];
  const next = failing < 0 ? undefined : steps[failing];
  const broke =
    next === undefined
      ? []
      : [
          ...missed(next).map(
            (objective) =>
              `${objective.name} ${format(objective, objective.of(next))} > ${format(objective, objective.limit)}`,
          ),
          ...(delivered(next)
            ? []
            : [
                `load not taken: ${next.sentRate}/${next.rate} ev/s sent, ${(next.acceptedShare * 100).toFixed(1)}% accepted`,
              ]),
        ];
  return { rate: last?.rate, brokeAt: next?.rate, broke };
}

/** A figure in its objective's unit. */
export function format(objective: Objective, value: number): string {
  if (Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return 'never';
  return objective.unit === 's' ? `${value.toFixed(1)} s` : `${value.toFixed(0)} ms`;
}
