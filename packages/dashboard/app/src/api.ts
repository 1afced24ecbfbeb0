import type {
  CustomerList,
  CustomerView,
  Snapshot,
  Summary,
  TimelineEntry,
} from '@rapport/read-model';
import type { CustomerWorkflow } from '@rapport/workflows/definitions';

export type { CustomerList, CustomerView, Snapshot, Summary, TimelineEntry, CustomerWorkflow };

/**
 * Why a request failed, as a person must act on it: the API cannot be reached, the key was
 * refused (entered wrong, or not a read key), nothing is there, or the server failed.
 */
export type ProblemKind = 'unreachable' | 'key_refused' | 'not_found' | 'unavailable' | 'failed';

export class Problem extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface ErrorBody {
  readonly error?: { readonly code?: unknown; readonly message?: unknown };
}

const kindOf = (status: number): ProblemKind => {
  if (status === 401 || status === 403) return 'key_refused';
  if (status === 404) return 'not_found';
  if (status === 503) return 'unavailable';
  return 'failed';
};

/** The public query API, as the page reaches it: same origin, the read key in a header. */
export class ApiClient {
  constructor(readonly key: string) {}

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        headers: { authorization: `Bearer ${this.key}`, accept: 'application/json' },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new Problem('unreachable', 'the query API did not answer');
    }
    if (response.ok) return (await response.json()) as T;
    const body = (await response.json().catch(() => ({}))) as ErrorBody;
    const message =
      typeof body.error?.message === 'string' ? body.error.message : response.statusText;
    const code = typeof body.error?.code === 'string' ? body.error.code : undefined;
    throw new Problem(kindOf(response.status), message, code);
  }

  summary = (signal?: AbortSignal) => this.get<Summary>('/v1/summary', signal);
  customer = (id: string, signal?: AbortSignal) =>
    this.get<CustomerView>(`/v1/customers/${encodeURIComponent(id)}`, signal);
  history = (id: string, signal?: AbortSignal) =>
    this.get<{ snapshots: Snapshot[] }>(`/v1/customers/${encodeURIComponent(id)}/history`, signal);
  timeline = (id: string, signal?: AbortSignal) =>
    this.get<{ events: TimelineEntry[] }>(
      `/v1/customers/${encodeURIComponent(id)}/timeline?limit=20`,
      signal,
    );
  workflow = (id: string, signal?: AbortSignal) =>
    this.get<CustomerWorkflow>(`/v1/customers/${encodeURIComponent(id)}/workflow`, signal);
  list = (query: Record<string, string>, signal?: AbortSignal) =>
    this.get<CustomerList>(`/v1/customers?${new URLSearchParams(query).toString()}`, signal);
}
