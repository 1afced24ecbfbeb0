import type { Summary } from '../api.js';
import { label, STAGE_LABEL, STATUS_LABEL, STATUSES } from '../format.js';
import type { FilterValues } from './filters.js';

interface Props {
  readonly summary: Summary;
  readonly status: FilterValues['status'];
  readonly onStatus: (status: FilterValues['status']) => void;
}

/** Counts by status (each a filter), and the stages as one bar of their shares. */
export function Counts({ summary, status, onStatus }: Props) {
  const stages = Object.entries(summary.stage).filter(([, count]) => count > 0);
  return (
    <div class="counts">
      <div class="status-cards" role="group" aria-label="Customers by status">
        {STATUSES.map((name) => (
          <button
            type="button"
            class={`status-card status-${name}${status === name ? ' selected' : ''}`}
            aria-pressed={status === name}
            onClick={() => onStatus(status === name ? '' : name)}
            data-testid={`count-${name}`}
          >
            <span class="count" data-count={summary.status[name]}>
              {summary.status[name].toLocaleString()}
            </span>
            <span class="what">{label(STATUS_LABEL, name)}</span>
          </button>
        ))}
        <div class="status-card total">
          <span class="count" data-testid="count-total" data-count={summary.customers}>
            {summary.customers.toLocaleString()}
          </span>
          <span class="what">Customers</span>
        </div>
      </div>
      <div class="stages" aria-label="Customers by stage">
        <div class="stage-bar">
          {stages.map(([name, count]) => (
            <span
              class={`stage-${name}`}
              style={{ flexGrow: count }}
              title={`${label(STAGE_LABEL, name)}: ${count}`}
            />
          ))}
        </div>
        <ul class="legend">
          {stages.map(([name, count]) => (
            <li data-testid={`stage-${name}`}>
              <span class={`swatch stage-${name}`} aria-hidden="true" />
              {label(STAGE_LABEL, name)} <strong>{count.toLocaleString()}</strong>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
