/**
 * Workflow time. Inside the sandbox `Date.now()` is not the host clock: it is the time of the
 * current workflow task, recorded in history and replayed, so it is deterministic. This is the
 * one place workflow code reads it (the lint rule against clocks guards the pure model, where
 * time is always passed in).
 */
export function workflowNow(): number {
  return Date.now();
}

export function iso(instant: number): string {
  return new Date(instant).toISOString();
}
