import { useState } from 'preact/hooks';
import { label, STAGE_LABEL, STAGES, STATUS_LABEL, STATUSES } from '../format.js';

export interface FilterValues {
  /** '' shows who is at risk and who crosses next. */
  readonly status: '' | (typeof STATUSES)[number];
  readonly stage: string;
  readonly channel: string;
}

export const NO_FILTERS: FilterValues = { status: '', stage: '', channel: '' };

interface Props {
  readonly values: FilterValues;
  readonly channels: readonly string[];
  readonly onChange: (values: FilterValues) => void;
  readonly onSearch: (id: string) => void;
}

export function Filters({ values, channels, onChange, onSearch }: Props) {
  const [id, setId] = useState('');
  return (
    <div class="filters">
      <label>
        Status
        <select
          value={values.status}
          onChange={(event) =>
            onChange({ ...values, status: event.currentTarget.value as FilterValues['status'] })
          }
          data-testid="filter-status"
        >
          <option value="">At risk and crossing next</option>
          {STATUSES.map((status) => (
            <option value={status}>{label(STATUS_LABEL, status)}</option>
          ))}
        </select>
      </label>
      <label>
        Stage
        <select
          value={values.stage}
          onChange={(event) => onChange({ ...values, stage: event.currentTarget.value })}
          data-testid="filter-stage"
        >
          <option value="">Any</option>
          {STAGES.map((stage) => (
            <option value={stage}>{label(STAGE_LABEL, stage)}</option>
          ))}
        </select>
      </label>
      <label>
        Channel
        <select
          value={values.channel}
          onChange={(event) => onChange({ ...values, channel: event.currentTarget.value })}
          data-testid="filter-channel"
        >
          <option value="">Any</option>
          {channels.map((channel) => (
            <option value={channel}>{channel === '*' ? 'other channels' : channel}</option>
          ))}
        </select>
      </label>
      <form
        class="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          if (id.trim() !== '') onSearch(id.trim());
        }}
      >
        <label>
          Customer id
          <input
            type="search"
            value={id}
            placeholder="c-42"
            onInput={(event) => setId(event.currentTarget.value)}
            data-testid="search-input"
          />
        </label>
        <button type="submit">Open</button>
      </form>
    </div>
  );
}
