import type { Problem } from '../api.js';

interface Props {
  readonly problem: Problem;
  readonly onRetry?: () => void;
}

const ADVICE: Record<Problem['kind'], string> = {
  unreachable:
    'The query API did not answer. Check that Rapport is running (`pnpm rapport status`); the page keeps trying.',
  key_refused: 'The API refused the key. Enter a read key again.',
  not_found: 'Nothing is recorded under this id.',
  unavailable: 'A part of Rapport this panel needs is not answering right now; try again shortly.',
  failed: 'The API answered with an error.',
};

/** An error state that says what happened and what to do about it. */
export function ProblemView({ problem, onRetry }: Props) {
  return (
    <div class="problem" role="alert" data-testid="problem" data-kind={problem.kind}>
      <strong>{ADVICE[problem.kind]}</strong>
      <span class="muted">
        {problem.code === undefined ? problem.message : `${problem.code}: ${problem.message}`}
      </span>
      {onRetry !== undefined && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * Over figures already shown, when a later read failed: they stay, marked as what they are, so a
 * page left open on a wall screen never silently shows stale numbers as live.
 */
export function StaleNotice({
  problem,
  since,
}: {
  readonly problem: Problem;
  readonly since: string;
}) {
  return (
    <p class="stale" role="status" data-testid="stale" data-kind={problem.kind}>
      {problem.kind === 'unreachable'
        ? 'The query API is not answering'
        : `The last read failed (${problem.message})`}
      : these figures are from {new Date(since).toLocaleTimeString()}. The page keeps trying.
    </p>
  );
}
