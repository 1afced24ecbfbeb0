import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, CustomerList, Problem } from '../api.js';
import { Meter, StagePill, StatusPill } from '../components/bits.js';
import { ProblemView } from '../components/problem-view.js';
import { dateTime, percent, points, relative } from '../format.js';
import { useLoad } from '../hooks.js';
import { customerHref } from '../route.js';

export interface ListSpec {
  readonly id: string;
  readonly title: string;
  readonly note: string;
  readonly query: Record<string, string>;
  /** Which instant the row shows: since when at risk, when it crosses, or when last heard from. */
  readonly instant: 'since' | 'crosses' | 'last';
}

interface Props {
  readonly client: ApiClient;
  readonly spec: ListSpec;
  /** Bumped when the list must be read again (the stream says something changed). */
  readonly refresh: number;
  readonly changed: ReadonlySet<string>;
  readonly onProblem: (problem: Problem) => void;
}

const PAGE = 50;

type Row = CustomerList['items'][number];

/** When we last heard from them: their own latest move, or that they never made one. */
const lastHeard = (row: Row) => ({
  iso: row.lastInbound,
  text:
    row.lastInbound === null ? 'never heard from them' : `last heard ${relative(row.lastInbound)}`,
});

function instantOf(row: Row, kind: ListSpec['instant']) {
  switch (kind) {
    case 'since':
      // A crossing already behind the customer's latest event is no longer predicted (null):
      // what matters then is how long we have not heard from them.
      return row.predictions.atRiskAt === null
        ? lastHeard(row)
        : { iso: row.predictions.atRiskAt, text: `at risk ${relative(row.predictions.atRiskAt)}` };
    case 'crosses':
      return {
        iso: row.predictions.atRiskAt,
        text: `crosses ${relative(row.predictions.atRiskAt)}`,
      };
    case 'last':
      return lastHeard(row);
  }
}

/** One list of customers, read from `GET /v1/customers` again whenever something changes. */
export function CustomerTable({ client, spec, refresh, changed, onProblem }: Props) {
  const [limit, setLimit] = useState(PAGE);
  const list = useLoad(
    (signal) => client.list({ ...spec.query, limit: String(limit) }, signal),
    [client, JSON.stringify(spec.query), limit],
  );
  useEffect(() => {
    if (refresh > 0) list.reload();
  }, [refresh, list.reload]);
  useEffect(() => {
    if (list.problem) onProblem(list.problem);
  }, [list.problem, onProblem]);

  const items = list.data?.items ?? [];
  return (
    <section class="card list" data-testid={`list-${spec.id}`} aria-labelledby={`title-${spec.id}`}>
      <header>
        <h2 id={`title-${spec.id}`}>
          {spec.title}{' '}
          <span class="muted" data-testid="list-count">
            {list.data === undefined
              ? ''
              : `${items.length}${list.data.nextCursor === null ? '' : '+'}`}
          </span>
        </h2>
        <span class="muted">{spec.note}</span>
      </header>
      {list.problem !== undefined && list.data === undefined ? (
        <ProblemView problem={list.problem} onRetry={list.reload} />
      ) : list.data === undefined ? (
        <p class="loading">Loading…</p>
      ) : items.length === 0 ? (
        <p class="muted none" data-testid="list-empty">
          No one here right now.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Status</th>
              <th scope="col" class="wide">
                Stage
              </th>
              <th scope="col">Engagement</th>
              <th scope="col" class="wide">
                Trust
              </th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {items.map((row) => {
              const instant = instantOf(row, spec.instant);
              return (
                <tr
                  // A row that changed again is a new element, so that it flashes again.
                  key={
                    changed.has(row.customerId) ? `${row.customerId}@${refresh}` : row.customerId
                  }
                  class={changed.has(row.customerId) ? 'flash' : undefined}
                  data-customer={row.customerId}
                  data-testid="customer-row"
                >
                  <th scope="row">
                    <a href={customerHref(row.customerId)}>{row.customerId}</a>
                  </th>
                  <td>
                    <StatusPill status={row.status} />
                  </td>
                  <td class="wide">
                    <StagePill stage={row.stage} />
                  </td>
                  <td class="figure" data-testid="row-engagement">
                    <Meter value={row.engagement} /> {points(row.engagement)}
                  </td>
                  <td class="figure wide">{percent(row.trust)}</td>
                  <td>
                    <time dateTime={instant.iso ?? undefined} title={dateTime(instant.iso)}>
                      {instant.text}
                    </time>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {list.data?.nextCursor !== null && list.data !== undefined && limit < 200 && (
        <button type="button" class="more" onClick={() => setLimit(Math.min(200, limit + PAGE))}>
          Show more
        </button>
      )}
    </section>
  );
}
