import type { CustomerView, TimelineEntry } from '../api.js';
import { dateTime, eventType, relative } from '../format.js';

type Prediction = keyof CustomerView['predictions'];

const PREDICTIONS: [Prediction, string][] = [
  ['coolingAt', 'Stops being engaged'],
  ['atRiskAt', 'Crosses into risk'],
  ['overdueAt', 'Overdue against their rhythm'],
  ['dormantAt', 'Turns dormant'],
];

/** The statuses a crossing leads to: a customer already there has it behind them. */
const PAST_FOR: Record<Prediction, readonly string[]> = {
  coolingAt: ['cooling', 'at_risk', 'dormant'],
  atRiskAt: ['at_risk', 'dormant'],
  overdueAt: [],
  dormantAt: ['dormant'],
};

/**
 * A crossing as a person reads it: to come, already behind them (an instant in the past, or none
 * because it happened before their latest event), or not one that will come.
 */
function crossing(view: CustomerView, name: Prediction, now: number): string {
  const at = view.predictions[name];
  if (at !== null)
    return Date.parse(at) <= now ? `already, ${relative(at, now)}` : relative(at, now);
  if (PAST_FOR[name].includes(view.status)) return 'already';
  return name === 'overdueAt' && view.rhythm.intervalDays === null
    ? 'no rhythm yet'
    : 'not expected';
}

/** What comes next if nothing happens, and the customer's own rhythm of exchanges. */
export function Predictions({ view }: { readonly view: CustomerView }) {
  const { rhythm } = view;
  const now = Date.now();
  return (
    <section class="card predictions" aria-label="What happens next" data-testid="predictions">
      <h2>If nothing happens</h2>
      <dl>
        {PREDICTIONS.map(([name, title]) => (
          <div data-testid={`prediction-${name}`} data-at={view.predictions[name] ?? ''}>
            <dt>{title}</dt>
            <dd>
              <time
                dateTime={view.predictions[name] ?? undefined}
                title={dateTime(view.predictions[name])}
              >
                {crossing(view, name, now)}
              </time>
            </dd>
          </div>
        ))}
      </dl>
      <h3>Rhythm</h3>
      <p>
        {rhythm.intervalDays === null ? (
          <span class="muted">
            {rhythm.exchanges === 0
              ? 'No exchanges yet (purchases, renewals, paid invoices).'
              : `${rhythm.exchanges} exchange: a rhythm needs two.`}
          </span>
        ) : (
          <>
            An exchange every <strong>{rhythm.intervalDays.toFixed(1)} days</strong> (
            {rhythm.exchanges} so far, confidence {Math.round(rhythm.confidence * 100)}%); the last{' '}
            {relative(rhythm.lastExchange)}.
          </>
        )}
      </p>
    </section>
  );
}

/** Where the customer talks to the business, and when they last did on each channel. */
export function Channels({ view }: { readonly view: CustomerView }) {
  return (
    <section class="card channels" aria-label="Channels" data-testid="channels">
      <h2>Channels</h2>
      {view.channels.length === 0 ? (
        <p class="muted">No interactions yet.</p>
      ) : (
        <table>
          <tbody>
            {view.channels.map((channel) => (
              <tr>
                <th scope="row">{channel.channel === '*' ? 'other' : channel.channel}</th>
                <td class="figure">{channel.interactions}</td>
                <td class="muted">{relative(channel.lastAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Rapport's own records (verdicts, drops, follow-ups) are neither side's move. */
const directionOf = (event: TimelineEntry) =>
  event.source === 'engine' ? 'engine' : event.direction;

const ARROWS = {
  inbound: ['←', 'from them'],
  outbound: ['→', 'to them'],
  engine: ['◆', "Rapport's own record"],
} as const;

/** The recent events applied, newest first: who moved, on which channel, about what. */
export function Timeline({
  timeline,
}: {
  readonly timeline: readonly TimelineEntry[] | undefined;
}) {
  return (
    <section class="card timeline" aria-label="Recent events" data-testid="timeline">
      <h2>Recent events</h2>
      {timeline === undefined ? (
        <p class="loading">Loading…</p>
      ) : timeline.length === 0 ? (
        <p class="muted">None kept.</p>
      ) : (
        <ol>
          {timeline.map((event) => (
            <li
              class={`event ${directionOf(event)}`}
              data-testid="timeline-event"
              data-event={event.eventId}
            >
              <span class="arrow" title={ARROWS[directionOf(event)][1]}>
                {ARROWS[directionOf(event)][0]}
              </span>
              <span class="what">
                {eventType(event.type)}
                <span class="muted">
                  {' '}
                  · {event.channel}
                  {event.threadId === undefined ? '' : ` · thread ${event.threadId}`}
                  {event.expectsResponse ? ' · awaits an answer' : ''}
                  {event.outcome === undefined ? '' : ` · promise ${event.outcome}`}
                  {event.sentiment === undefined
                    ? ''
                    : ` · sentiment ${event.sentiment.toFixed(1)}`}
                </span>
              </span>
              <time dateTime={event.occurredAt} title={dateTime(event.occurredAt)}>
                {relative(event.occurredAt)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
