import type { Change } from '@rapport/read-model';

export type { Change };

export interface ChangeEvent extends Change {
  readonly customerId: string;
}

export type StreamState = 'connecting' | 'live' | 'retrying' | 'refused';

export interface StreamOptions {
  readonly key: string;
  /** Only this customer's changes. */
  readonly customer?: string;
  readonly onChange: (change: ChangeEvent) => void;
  /** A gap: changes were missed (the stream is capped); re-read everything shown. */
  readonly onGap: () => void;
  readonly onState: (state: StreamState) => void;
}

const RETRY_MS = [1_000, 2_000, 5_000, 10_000];

/**
 * Follows `/v1/stream` and calls back per change. EventSource cannot send an Authorization
 * header, and the key must not go in the URL, so this reads the Server-Sent Events over fetch.
 * It reconnects after a failure with the last id it saw, so nothing between is missed (the API
 * resumes from Last-Event-ID, or says `gap`). Returns a function that stops it.
 */
export function followChanges(options: StreamOptions): () => void {
  const controller = new AbortController();
  let lastId: string | undefined;
  let failures = 0;

  const connect = async (): Promise<void> => {
    options.onState('connecting');
    const query =
      options.customer === undefined ? '' : `?customer=${encodeURIComponent(options.customer)}`;
    const headers: Record<string, string> = { authorization: `Bearer ${options.key}` };
    if (lastId !== undefined) headers['last-event-id'] = lastId;
    const response = await fetch(`/v1/stream${query}`, { headers, signal: controller.signal });
    if (response.status === 401 || response.status === 403) {
      options.onState('refused');
      return;
    }
    if (!response.ok || response.body === null)
      throw new Error(`stream answered ${response.status}`);
    options.onState('live');
    failures = 0;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  };

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
    try {
      options.onChange(JSON.parse(data.join('\n')) as ChangeEvent);
    } catch {
      // A frame that does not parse is skipped: the next change re-reads the state anyway.
    }
  };

  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        await connect();
        return;
      } catch {
        if (controller.signal.aborted) return;
        options.onState('retrying');
        const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 10_000;
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };
  void run();
  return () => controller.abort();
}
