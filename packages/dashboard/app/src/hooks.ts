import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Problem } from './api.js';
import { followChanges, type StreamState } from './stream.js';

export interface Loaded<T> {
  readonly data: T | undefined;
  /** Why the latest read failed; cleared by the next that succeeds. */
  readonly problem: Problem | undefined;
  readonly reload: () => void;
}

/**
 * Reads with `load`, again whenever `inputs` change (aborting a read of the old inputs), and again
 * on `reload()`. A reload asked for while a read runs does not abort it (under a busy stream a
 * slow read would never finish): it runs once more when that read lands.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  inputs: unknown[],
): Loaded<T> {
  const [state, setState] = useState<{ data?: T; problem?: Problem }>({});
  const latest = useRef(load);
  latest.current = load;
  const control = useRef<{ running: boolean; again: boolean; start: () => void } | undefined>(
    undefined,
  );

  useEffect(() => {
    const controller = new AbortController();
    const current = { running: false, again: false, start: () => undefined as void };
    current.start = () => {
      current.running = true;
      current.again = false;
      latest
        .current(controller.signal)
        .then(
          (data) => !controller.signal.aborted && setState({ data }),
          (error: unknown) => {
            if (controller.signal.aborted) return;
            const problem =
              error instanceof Problem
                ? error
                : new Problem('failed', 'the page could not read the API');
            setState((previous) => ({ ...previous, problem }));
          },
        )
        .finally(() => {
          current.running = false;
          if (current.again && !controller.signal.aborted) current.start();
        });
    };
    control.current = current;
    setState({});
    current.start();
    return () => controller.abort();
    // `load` is a new closure each render: `inputs` name what it reads.
  }, inputs);

  const reload = useCallback(() => {
    const current = control.current;
    if (current === undefined) return;
    if (current.running) current.again = true;
    else current.start();
  }, []);
  return { data: state.data, problem: state.problem, reload };
}

/** Statuses move with time alone (decay): a page re-reads this often even when nothing changes. */
export const QUIET_REFRESH_MS = 30_000;

/** Calls `tick` every `ms` while mounted. */
export function useEvery(ms: number, tick: () => void): void {
  const callback = useRef(tick);
  callback.current = tick;
  useEffect(() => {
    const timer = setInterval(() => callback.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/** How soon after a change the page re-reads, and so at most how often. */
const SETTLE_MS = 300;

/**
 * Follows the change stream (one customer's, or everyone's) and calls `onChanges` once a burst of
 * changes settles, with the customers that changed and when the latest of them was written: a
 * busy stream re-reads the page a few times a second, not once per change. Also each time the
 * stream goes live: what changed between the page's first read and the subscription (or during a
 * reconnection the API could not replay) is read then.
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
      onChange: (change) => {
        pending.add(change.customerId);
        latest = Math.max(latest, Date.parse(change.changedAt));
        schedule();
      },
      onGap: schedule,
      onState: (next) => {
        setState(next);
        if (next === 'live') schedule();
      },
    });
    return () => {
      stop();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, customer]);
  return state;
}
