import type { z } from 'zod';
import type { Config, KeyClass } from '@rapport/config';
import { CliError } from '../cli-errors.js';
import { parseJson, serviceError } from './answers.js';
import { serverTarget, type ServerTarget } from './target.js';

/** Where the commands ask: the query API, and a read key (an admin key for its admin routes). */
export type ApiTarget = ServerTarget;

export const apiTarget = (
  config: Config,
  flags: { readonly api?: string | undefined; readonly key?: string | undefined },
  keyClass: Extract<KeyClass, 'read' | 'admin'> = 'read',
): ApiTarget => serverTarget(config, 'api', { url: flags.api, key: flags.key }, keyClass);

/** The query API refused a request: its status and code beside the message, for a command to read. */
export class ApiRefusedError extends CliError {
  constructor(
    readonly status: number,
    /** The code of the one error shape (`CUSTOMER_NOT_FOUND`), when the answer was in it. */
    readonly serviceCode: string | undefined,
    message: string,
  ) {
    super('API_REFUSED', message);
  }
}

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

const REQUEST_TIMEOUT_MS = 10_000;
const RECONNECT_MS = 1_000;

export class ApiClient {
  constructor(private readonly target: ApiTarget) {}

  /** GET a JSON document and parse it; any refusal is an ApiRefusedError with the API's message. */
  async get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const response = await this.fetch(path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return this.answer(path, response, schema);
  }

  /** POST a JSON body and parse the answer, as `get` does. */
  async post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const response = await this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return this.answer(path, response, schema);
  }

  /** DELETE, and parse the answer as `get` does; `timeoutMs` for a route that works a while. */
  async delete<T>(path: string, schema: z.ZodType<T>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const response = await this.fetch(path, {
      method: 'DELETE',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return this.answer(path, response, schema);
  }

  private async answer<T>(path: string, response: Response, schema: z.ZodType<T>): Promise<T> {
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) {
      const error = serviceError(body);
      throw new ApiRefusedError(
        response.status,
        error?.code,
        error
          ? `${error.message} (${response.status} ${error.code})`
          : `${response.status}: ${text.slice(0, 200)}`,
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new CliError('API_REFUSED', `unexpected answer from ${path}: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  /**
   * Server-Sent Events from `path`, forever: a dropped connection is reopened with the last id
   * seen as Last-Event-ID, so nothing is missed. Ends when `signal` aborts.
   */
  async *events(path: string, signal: AbortSignal): AsyncGenerator<SseEvent> {
    let lastEventId: string | undefined;
    while (!signal.aborted) {
      try {
        const response = await this.fetch(path, {
          signal,
          headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
        });
        if (!response.ok) {
          const error = serviceError(parseJson(await response.text().catch(() => '')));
          throw new CliError('API_REFUSED', error?.message ?? `${response.status}`);
        }
        for await (const event of parseEvents(response)) {
          if (event.id !== undefined) lastEventId = event.id;
          yield event;
        }
      } catch (error) {
        if (error instanceof CliError && error.code === 'API_REFUSED') throw error;
        if (signal.aborted) return;
        // Dropped or not reachable (an API restart): reconnect and resume after the last id.
      }
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.target.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${this.target.key}`, ...init.headers },
      });
    } catch (error) {
      if (init.signal?.aborted && !(error instanceof Error && error.name === 'TimeoutError'))
        throw error;
      const cause =
        error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new CliError(
        'API_UNREACHABLE',
        `cannot reach the query API at ${this.target.url}${cause}; is \`rapport up\` running? --api names another`,
        { retriable: true },
      );
    }
  }
}

async function* parseEvents(response: Response): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body ?? []) {
    if (!(chunk instanceof Uint8Array)) continue;
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of frame.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue; // Comments (heartbeats) start with ':'.
        fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      const data = fields.get('data');
      if (data !== undefined) {
        yield { id: fields.get('id'), event: fields.get('event') ?? 'message', data };
      }
    }
  }
}
