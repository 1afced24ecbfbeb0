import type { FoldableEvent } from './state';

/**
 * Building blocks for the tests, the worked examples and the benchmark: events at epoch-ms
 * instants, so scenarios read as timelines.
 */
export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

type Extra = Partial<Omit<FoldableEvent, 'type' | 'channel' | 'direction' | 'occurredAt'>>;

export function inbound(
  type: string,
  channel: string,
  at: number,
  extra: Extra = {},
): FoldableEvent {
  return { type, channel, direction: 'inbound', occurredAt: iso(at), ...extra };
}

export function outbound(
  type: string,
  channel: string,
  at: number,
  extra: Extra = {},
): FoldableEvent {
  return { type, channel, direction: 'outbound', occurredAt: iso(at), ...extra };
}
