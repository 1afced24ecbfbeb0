import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Problem } from './api.js';
import { followChanges, type ChangeEvent, type StreamState } from './stream.js';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly problem: Problem | undefined;
  /** True until the first answer (a reload keeps showing the last data). */
  readonly loading: boolean;
  readonly reload: () => void;
}

/**
 * Loads with `load` whenever `deps` change, and again on `reload()`; a slower answer to an older
 * request never overwrites a newer one (each load aborts the one before).
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; problem?: Problem; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const problem =
          error instanceof Problem
            ? error
            : new Problem('failed', 'the page could not read the API');
        setState((previous) => ({ ...previous, problem, loading: false }));
      },
    );
    return () => controller.abort();
    // `load` is a new closure each render: `deps` name what it reads.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { data: state.data, problem: state.problem, loading: state.loading, reload };
}

/** How soon after a change the page re-reads, and at most how often. */
const SETTLE_MS = 300;

/**
 * Follows the change stream (one customer's, or everyone's) and calls `onChanges` once a burst of
 * changes settles, with the customers that changed and when the latest of them was written: a
 * busy stream re-reads the page a few times a second, not once per change.
 */
export function useChanges(
  key: string,
  customer: string | undefined,
  onChanges: (customers: ReadonlySet<string>, latestChangeAt: number) => void,
): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const callback = useRef(onChanges);
  callback.current = onChanges;
  useEffect(() => {
    let pending = new Set<string>();
    let latest = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const changed = pending;
      pending = new Set();
      callback.current(changed, latest);
    };
    const schedule = () => {
      timer ??= setTimeout(flush, SETTLE_MS);
    };
    const stop = followChanges({
      key,
      ...(customer === undefined ? {} : { customer }),
      onChange: (change: ChangeEvent) => {
        pending.add(change.customerId);
        latest = Math.max(latest, Date.parse(change.changedAt));
        schedule();
      },
      onGap: schedule,
      onState: setState,
    });
    return () => {
      stop();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, customer]);
  return state;
}
