import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, Problem } from '../api.js';
import { LiveBadge, Loading } from '../components/bits.js';
import { ProblemView, StaleNotice } from '../components/problem-view.js';
import { useChanges, useLoad } from '../hooks.js';
import { customerHref } from '../route.js';
import { Counts } from './counts.js';
import { CustomerTable, type ListSpec } from './customer-table.js';
import { Filters, NO_FILTERS, type FilterValues } from './filters.js';
import { NoCustomersYet } from './no-customers.js';

interface Props {
  readonly client: ApiClient;
  readonly onProblem: (problem: Problem) => void;
}

/** Statuses change with time alone (decay), so the page re-reads now and then even when quiet. */
const REFRESH_MS = 30_000;
/** How soon to count again when the counts predate the latest change. */
const RECOUNT_MS = 1_000;

/** The lists shown for a status filter: by default, who is at risk and who crosses next. */
function listsFor(filters: FilterValues): ListSpec[] {
  const narrow: Record<string, string> = {};
  if (filters.stage !== '') narrow['stage'] = filters.stage;
  if (filters.channel !== '') narrow['channel'] = filters.channel;
  switch (filters.status) {
    case '':
      return [
        {
          id: 'at-risk',
          title: 'At risk now',
          note: 'longest at risk first',
          query: { ...narrow, status: 'at_risk', sort: 'at_risk_at' },
          instant: 'since',
        },
        {
          id: 'next',
          title: 'Predicted to cross next',
          note: 'engaged or cooling, soonest crossing into risk first',
          query: { ...narrow, status: 'engaged,cooling', sort: 'at_risk_at' },
          instant: 'crosses',
        },
      ];
    case 'dormant':
      return [
        {
          id: 'status',
          title: 'Dormant',
          note: 'most recently active first',
          query: { ...narrow, status: 'dormant', sort: '-dormant_at' },
          instant: 'last',
        },
      ];
    default:
      return [
        {
          id: 'status',
          title:
            filters.status === 'at_risk'
              ? 'At risk'
              : filters.status === 'engaged'
                ? 'Engaged'
                : 'Cooling',
          note: 'soonest crossing first',
          query: { ...narrow, status: filters.status, sort: 'at_risk_at' },
          instant: filters.status === 'at_risk' ? 'since' : 'crosses',
        },
      ];
  }
}

/**
 * Counts by status, stage and channel, and the customers who need attention, kept live from the
 * change stream.
 */
export function Overview({ client, onProblem }: Props) {
  const [filters, setFilters] = useState<FilterValues>(NO_FILTERS);
  const [version, setVersion] = useState(0);
  const [changed, setChanged] = useState<ReadonlySet<string>>(new Set());
  const [latestChangeAt, setLatestChangeAt] = useState(0);
  const summary = useLoad((signal) => client.summary(signal), [client, version]);
  const live = useChanges(client.key, undefined, (customers, changedAt) => {
    setChanged(customers);
    setLatestChangeAt((previous) => Math.max(previous, changedAt));
    setVersion((value) => value + 1);
  });
  // The API shares one count of every customer between requests for a second or two, so an
  // answer may predate the change that asked for it: ask again shortly until it does not.
  useEffect(() => {
    if (summary.data === undefined || Date.parse(summary.data.asOf) >= latestChangeAt) return;
    const timer = setTimeout(summary.reload, RECOUNT_MS);
    return () => clearTimeout(timer);
  }, [summary.data, latestChangeAt, summary.reload]);
  useEffect(() => {
    const timer = setInterval(() => setVersion((value) => value + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    if (summary.problem) onProblem(summary.problem);
  }, [summary.problem, onProblem]);

  const search = (id: string) => {
    location.hash = customerHref(id);
  };

  return (
    <section class="overview" data-testid="overview">
      <div class="page-head">
        <h1>Customers</h1>
        <LiveBadge state={live} />
        {summary.data !== undefined && (
          <span class="muted as-of">as of {new Date(summary.data.asOf).toLocaleTimeString()}</span>
        )}
      </div>
      {summary.problem !== undefined && summary.data !== undefined && (
        <StaleNotice problem={summary.problem} since={summary.data.asOf} />
      )}
      {summary.problem !== undefined && summary.data === undefined ? (
        <ProblemView problem={summary.problem} onRetry={summary.reload} />
      ) : summary.data === undefined ? (
        <Loading what="the counts" />
      ) : summary.data.customers === 0 ? (
        <NoCustomersYet />
      ) : (
        <>
          <Counts
            summary={summary.data}
            status={filters.status}
            onStatus={(status) => setFilters({ ...filters, status })}
          />
          <Filters
            values={filters}
            channels={Object.keys(summary.data.channels).sort()}
            onChange={setFilters}
            onSearch={search}
          />
          {listsFor(filters).map((spec) => (
            <CustomerTable
              key={`${spec.id}:${JSON.stringify(spec.query)}`}
              client={client}
              spec={spec}
              version={version}
              changed={changed}
              onProblem={onProblem}
            />
          ))}
        </>
      )}
    </section>
  );
}
