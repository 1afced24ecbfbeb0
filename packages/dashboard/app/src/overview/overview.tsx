import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, Problem } from '../api.js';
import { LiveBadge, Loading } from '../components/bits.js';
import { ProblemView, StaleNotice } from '../components/problem-view.js';
import { QUIET_REFRESH_MS, useChanges, useEvery, useLoad } from '../hooks.js';
import { STATUS_LABEL } from '../format.js';
import { customerHref } from '../route.js';
import { Counts } from './counts.js';
import { CustomerTable, type ListSpec } from './customer-table.js';
import { Filters, NO_FILTERS, type FilterValues } from './filters.js';
import { NoCustomersYet } from './no-customers.js';

interface Props {
  readonly client: ApiClient;
  readonly onProblem: (problem: Problem) => void;
}

/** How soon to count again when the counts predate the latest change. */
const RECOUNT_MS = 1_000;

/**
 * The lists shown for the filters: by default, who is at risk and who crosses next. Dormant
 * customers have no crossing to sort by (the API refuses it), so a dormant status or stage (a
 * dormant stage is a dormant status) lists by silence instead.
 */
function listsFor(filters: FilterValues): ListSpec[] {
  const narrow: Record<string, string> = {};
  if (filters.stage !== '') narrow['stage'] = filters.stage;
  if (filters.channel !== '') narrow['channel'] = filters.channel;
  if (filters.status === 'dormant' || filters.stage === 'dormant') {
    return [
      {
        id: 'status',
        title: STATUS_LABEL.dormant,
        note: 'most recently heard from first',
        query: { ...narrow, status: 'dormant', sort: '-dormant_at' },
        instant: 'last',
      },
    ];
  }
  const atRisk: ListSpec = {
    id: 'at-risk',
    title: 'At risk now',
    note: 'longest at risk first',
    query: { ...narrow, status: 'at_risk', sort: 'at_risk_at' },
    instant: 'since',
  };
  if (filters.status === '') {
    return [
      atRisk,
      {
        id: 'next',
        title: 'Predicted to cross next',
        note: 'engaged or cooling, soonest crossing into risk first',
        query: { ...narrow, status: 'engaged,cooling', sort: 'at_risk_at' },
        instant: 'crosses',
      },
    ];
  }
  if (filters.status === 'at_risk') return [{ ...atRisk, id: 'status' }];
  return [
    {
      id: 'status',
      title: STATUS_LABEL[filters.status],
      note: 'soonest crossing into risk first',
      query: { ...narrow, status: filters.status, sort: 'at_risk_at' },
      instant: 'crosses',
    },
  ];
}

/**
 * Counts by status, stage and channel, and the customers who need attention, kept live from the
 * change stream.
 */
export function Overview({ client, onProblem }: Props) {
  const [filters, setFilters] = useState<FilterValues>(NO_FILTERS);
  /** Bumped when the lists must be read again. */
  const [refresh, setRefresh] = useState(0);
  const [changed, setChanged] = useState<ReadonlySet<string>>(new Set());
  const [latestChangeAt, setLatestChangeAt] = useState(0);
  const summary = useLoad((signal) => client.summary(signal), [client]);
  const readAgain = () => {
    summary.reload();
    setRefresh((value) => value + 1);
  };
  const live = useChanges(client.key, undefined, (customers, changedAt) => {
    setChanged(customers);
    setLatestChangeAt((previous) => Math.max(previous, changedAt));
    readAgain();
  });
  useEvery(QUIET_REFRESH_MS, readAgain);
  // The API shares one count of every customer between requests for a second or two, so an
  // answer may predate the change that asked for it: ask again shortly until it does not.
  useEffect(() => {
    if (summary.data === undefined || Date.parse(summary.data.asOf) >= latestChangeAt) return;
    const timer = setTimeout(summary.reload, RECOUNT_MS);
    return () => clearTimeout(timer);
  }, [summary.data, latestChangeAt, summary.reload]);
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
              refresh={refresh}
              changed={changed}
              onProblem={onProblem}
            />
          ))}
        </>
      )}
    </section>
  );
}
