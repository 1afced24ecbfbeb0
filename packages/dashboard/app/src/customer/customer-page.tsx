import { useEffect } from 'preact/hooks';
import type { ApiClient, Problem } from '../api.js';
import { LiveBadge, Loading, StagePill, StatusPill } from '../components/bits.js';
import { ProblemView, StaleNotice } from '../components/problem-view.js';
import { dateTime, relative } from '../format.js';
import { QUIET_REFRESH_MS, useChanges, useEvery, useLoad } from '../hooks.js';
import { Channels, Predictions, Timeline } from './activity.js';
import { Explanation } from './explanation.js';
import { Figures } from './figures.js';
import { FollowUps } from './follow-ups.js';
import { HistoryChart } from './history-chart.js';
import { Ledger } from './ledger.js';
import { Verdict } from './verdict.js';

const BackLink = () => (
  <p>
    <a href="#/">← All customers</a>
  </p>
);

interface Props {
  readonly client: ApiClient;
  readonly id: string;
  readonly onProblem: (problem: Problem) => void;
}

/**
 * One customer: where the relationship stands and why, how it went, what was exchanged both
 * ways, and what Rapport did about it. Re-read whenever the stream says this customer changed.
 */
export function CustomerPage({ client, id, onProblem }: Props) {
  const customer = useLoad((signal) => client.customer(id, signal), [client, id]);
  const history = useLoad((signal) => client.history(id, signal), [client, id]);
  const timeline = useLoad((signal) => client.timeline(id, signal), [client, id]);
  const workflow = useLoad((signal) => client.workflow(id, signal), [client, id]);
  const readAgain = () => {
    for (const panel of [customer, history, timeline, workflow]) panel.reload();
  };
  const live = useChanges(client.key, id, readAgain);
  useEvery(QUIET_REFRESH_MS, readAgain);
  useEffect(() => {
    if (customer.problem) onProblem(customer.problem);
  }, [customer.problem, onProblem]);

  if (customer.data === undefined) {
    return (
      <section class="customer" data-testid="customer-page">
        <BackLink />
        {customer.problem === undefined ? (
          <Loading what={`customer ${id}`} />
        ) : customer.problem.kind === 'not_found' ? (
          <div class="card empty" data-testid="customer-missing">
            <h2>No customer “{id}”</h2>
            <p>
              No event for this id has been projected. Check the id, or send an event for it; this
              page shows the customer as soon as one arrives.
            </p>
          </div>
        ) : (
          <ProblemView problem={customer.problem} onRetry={customer.reload} />
        )}
      </section>
    );
  }
  const view = customer.data;
  return (
    <section
      class="customer"
      data-testid="customer-page"
      data-customer={id}
      data-as-of={view.asOf}
      data-events={view.events}
    >
      <BackLink />
      <div class="page-head">
        <h1 data-testid="customer-id">{view.customerId}</h1>
        <StatusPill status={view.status} />
        <StagePill stage={view.stage} />
        <LiveBadge state={live} />
        <span class="muted as-of" title={dateTime(view.asOf)}>
          {view.events.toLocaleString()} events · last {relative(view.activity.lastEvent)}
        </span>
      </div>
      {customer.problem !== undefined && (
        <StaleNotice problem={customer.problem} since={view.asOf} />
      )}
      <Verdict view={view} workflow={workflow.data} />
      <div class="grid">
        <Figures view={view} />
        <div class="column">
          <Ledger view={view} />
          <Predictions view={view} />
        </div>
        <HistoryChart snapshots={history.data?.snapshots} problem={history.problem} />
        <FollowUps view={view} workflow={workflow.data} problem={workflow.problem} />
        <Explanation view={view} />
        <Channels view={view} />
        <Timeline timeline={timeline.data?.events} />
      </div>
    </section>
  );
}
