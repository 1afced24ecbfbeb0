/**
 * Runs `body` with a signal that aborts on Ctrl-C (SIGINT) or SIGTERM, for commands that go on
 * until stopped; the signals are theirs only while it runs.
 */
export async function untilInterrupted<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM and keeps swallowing later ones until exit: a terminal's
 * Ctrl-C reaches this process both directly and relayed by tsx, and the second delivery must not
 * kill it half-way through stopping Kafka.
 */
export function firstSignal(): Promise<NodeJS.Signals> {
  // Signal listeners do not keep Node's event loop alive; this timer does, until a signal comes.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first !== undefined) return;
      clearInterval(keepAlive);
      resolve((first = signal));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
