import { z } from 'zod';

/** What a process needs to do its work, by name; each check rejects with a readable reason. */
export type ReadinessChecks = Readonly<Record<string, () => Promise<unknown>>>;

/** `/readyz`'s body: every check's `ok` or its reason, whatever the answer's status. */
export const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(z.string(), z.string()).readonly(),
  })
  .readonly();
export type Readiness = z.infer<typeof ReadinessSchema>;

/** Runs every check at once; ready when all of them passed. */
export async function readiness(checks: ReadinessChecks): Promise<Readiness> {
  const entries = Object.entries(checks);
  const results = await Promise.allSettled(entries.map(([, check]) => check()));
  const described = Object.fromEntries(
    results.map((result, index) => [
      entries[index]?.[0] ?? '',
      result.status === 'fulfilled' ? 'ok' : reasonOf(result.reason),
    ]),
  );
  const ready = results.every((result) => result.status === 'fulfilled');
  return { status: ready ? 'ready' : 'not_ready', checks: described };
}

/** The HTTP status `/readyz` answers with: 503 while any check fails. */
export const readinessStatus = (body: Readiness): 200 | 503 =>
  body.status === 'ready' ? 200 : 503;

/**
 * The pool's readiness: each check ok only if it is ok in every worker (else the first failing
 * worker's reason), and `workers` ok only with every expected worker running and answering.
 */
export function mergeReadiness(
  expected: number,
  answers: readonly (Readiness | undefined)[],
): Readiness {
  const checks: Record<string, string> = {};
  for (const answer of answers) {
    for (const [check, result] of Object.entries(answer?.checks ?? {})) {
      if (checks[check] === undefined || checks[check] === 'ok') checks[check] = result;
    }
  }
  const answered = answers.filter((answer) => answer !== undefined).length;
  checks['workers'] =
    answered === expected ? 'ok' : `${answered} of ${expected} workers running and answering`;
  const ready = Object.values(checks).every((result) => result === 'ok');
  return { status: ready ? 'ready' : 'not_ready', checks };
}

export const reasonOf = (cause: unknown) =>
  cause instanceof Error ? cause.message : String(cause);
