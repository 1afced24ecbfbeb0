import type { StreamState } from '../stream.js';
import { label, STAGE_LABEL, STATUS_LABEL } from '../format.js';

export const StatusPill = ({ status }: { readonly status: string }) => (
  <span class={`pill status-${status}`} data-status={status}>
    {label(STATUS_LABEL, status)}
  </span>
);

export const StagePill = ({ stage }: { readonly stage: string }) => (
  <span class="pill stage">{label(STAGE_LABEL, stage)}</span>
);

/** A 0–100 figure with a bar, so that figures compare at a glance. */
export const Meter = ({ value, max = 100 }: { readonly value: number; readonly max?: number }) => (
  <span class="meter" aria-hidden="true">
    <span style={{ width: `${Math.max(0, Math.min(1, value / max)) * 100}%` }} />
  </span>
);

const LIVE_TEXT: Record<StreamState, string> = {
  connecting: 'connecting…',
  live: 'live',
  retrying: 'reconnecting…',
  refused: 'stream refused',
};

/** Whether the page is following the change stream right now. */
export const LiveBadge = ({ state }: { readonly state: StreamState }) => (
  <span class={`live live-${state}`} data-testid="live" data-state={state}>
    <span class="dot" aria-hidden="true" />
    {LIVE_TEXT[state]}
  </span>
);

export const Loading = ({ what }: { readonly what: string }) => (
  <p class="loading" aria-busy="true">
    Loading {what}…
  </p>
);
