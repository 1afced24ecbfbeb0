import type { Change } from '@rapport/read-model';

export type StreamState = 'connecting' | 'live' | 'retrying' | 'refused';

export interface StreamOptions {
  readonly key: string;
  /** Only this customer's changes. */
  readonly customer?: string;
  readonly onChange: (change: Change) => void;
  /** A gap: changes were missed (the stream is capped); re-read everything shown. */
  readonly onGap: () => void;
  readonly onState: (state: StreamState) => void;
}

const RETRY_MS = [1_000, 2_000, 5_000, 10_000];
/**
 * The API writes a heartbeat comment every 15 s (RAPPORT_SSE_HEARTBEAT): a connection silent for
 * this long is dead (a laptop that slept, a proxy that dropped it) and is replaced.
 */
const SILENCE_MS = 40_000;

/** Refusals that asking again cannot change: a key refused, or a query the API rejects. */
class Refused extends Error {}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows `/v1/stream` and calls back per change. EventSource cannot send an Authorization
 * header, and the key must not go in the URL, so this reads the Server-Sent Events over fetch.
 * After a failure or a silence it reconnects with the last id it saw, so nothing between is missed
 * (the API resumes from Last-Event-ID, or says `gap`). Returns a function that stops it.
 */
export function followChanges(options: StreamOptions): () => void {
  const stopped = new AbortController();
  let lastId: string | undefined;
  let failures = 0;

  const dispatch = (frame: string) => {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== undefined) lastId = id;
    if (event === 'gap') options.onGap();
    if (event !== 'change' || data.length === 0) return;
    let change: Change;
    try {
      change = JSON.parse(data.join('\n')) as Change;
    } catch {
      return; // A frame that does not parse is skipped: the next change re-reads the state.
    }
    options.onChange(change);
  };

  /** One connection, until it fails, falls silent or the stream is stopped. */
  const connect = async (): Promise<void> => {
    const connection = new AbortController();
    const abort = () => connection.abort();
    stopped.signal.addEventListener('abort', abort);
    let silence = setTimeout(abort, SILENCE_MS);
    try {
      options.onState('connecting');
      const query =
        options.customer === undefined ? '' : `?customer=${encodeURIComponent(options.customer)}`;
      const headers: Record<string, string> = { authorization: `Bearer ${options.key}` };
      if (lastId !== undefined) headers['last-event-id'] = lastId;
      const response = await fetch(`/v1/stream${query}`, { headers, signal: connection.signal });
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        if (response.status === 400 && lastId !== undefined) {
          lastId = undefined; // An id the API no longer takes: start from now.
          throw new Error('stream refused the last event id');
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 429) {
          throw new Refused(`stream answered ${response.status}`);
        }
        throw new Error(`stream answered ${response.status}`);
      }
      options.onState('live');
      failures = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          clearTimeout(silence);
          silence = setTimeout(abort, SILENCE_MS);
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    } finally {
      clearTimeout(silence);
      stopped.signal.removeEventListener('abort', abort);
    }
  };

  const run = async () => {
    while (!stopped.signal.aborted) {
      try {
        await connect();
      } catch (error) {
        if (stopped.signal.aborted) return;
        if (error instanceof Refused) {
          options.onState('refused');
          return;
        }
        options.onState('retrying');
        await pause(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 10_000, stopped.signal);
        failures += 1;
      }
    }
  };
  void run();
  return () => stopped.abort();
}
