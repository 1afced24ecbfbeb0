import type { CustomerView, CustomerWorkflow, Problem } from '../api.js';
import { ProblemView } from '../components/problem-view.js';
import { dateTime, label, relative, STAGE_LABEL, stepResult, words } from '../format.js';

interface Props {
  readonly view: CustomerView;
  readonly workflow: CustomerWorkflow | undefined;
  readonly problem: Problem | undefined;
}

const DECISION: Record<string, string> = {
  started: 'follow-up started',
  running: 'one was already running',
  cooldown: 'too soon after the last one',
  no_playbook: 'no playbook for this stage',
  skipped_backfill: 'over before Rapport saw it',
};

const TRIGGER: Record<string, string> = {
  threshold: 'engagement crossed into risk',
  relative_drop: 'engagement fell sharply',
  silence: 'they went silent',
  overdue: 'overdue against their rhythm',
  trust_breach: 'trust fell: a promise broken or a request unanswered',
  manual: 'a person asked for one',
};
const triggerText = (trigger: string) => TRIGGER[trigger] ?? words(trigger);

/** Why the workflow wakes next: a predicted drop, an answer falling due, or events settling. */
const wakeText = (reason: string) =>
  reason === 'settle'
    ? 'once recent events have settled'
    : reason === 'sla'
      ? 'when an answer falls due'
      : `at the predicted drop (${triggerText(reason)})`;

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * What Rapport did about it: the drops the customer's workflow detected and what it decided,
 * and each follow-up with its playbook's steps and outcome. Read from the workflow itself; the
 * read model's counts stand in while it cannot be reached.
 */
export function FollowUps({ view, workflow, problem }: Props) {
  return (
    <section class="card follow-ups" aria-label="What Rapport did" data-testid="follow-ups">
      <h2>What Rapport did</h2>
      {workflow === undefined ? (
        <>
          <p>
            {plural(view.followUps.started, 'follow-up')} started, {view.followUps.finished}{' '}
            finished
            {view.followUps.active ? '; one is running' : ''}. {view.drops.detected} drops detected
            {view.drops.lastAt === null ? '' : `, the last ${relative(view.drops.lastAt)}`}.
          </p>
          {problem !== undefined && problem.kind !== 'not_found' && (
            <ProblemView problem={problem} />
          )}
          {problem?.kind === 'not_found' && (
            <p class="muted">
              No workflow for this customer yet: it starts with their first event on the log.
            </p>
          )}
        </>
      ) : (
        <>
          {workflow.workflow.openRequests.length > 0 && (
            <>
              <h3>Waiting for an answer</h3>
              <ul class="requests">
                {workflow.workflow.openRequests.map((request) => (
                  <li>
                    thread {request.threadId} ({request.channel}), due{' '}
                    <time title={dateTime(request.deadline)}>{relative(request.deadline)}</time>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>Follow-ups</h3>
          {workflow.followUps.length === 0 ? (
            <p class="muted" data-testid="no-follow-ups">
              None so far.
              {workflow.workflow.nextCheck === null
                ? ''
                : ` The workflow looks again ${relative(workflow.workflow.nextCheck.at)}, ${wakeText(workflow.workflow.nextCheck.reason)}.`}
            </p>
          ) : (
            <ol class="runs">
              {workflow.followUps.map((run) => (
                <li
                  data-testid="follow-up"
                  data-playbook={run.playbook}
                  data-outcome={run.outcome ?? 'running'}
                >
                  <div class="run-head">
                    <strong>{run.playbook}</strong>
                    <span class={`pill outcome-${run.outcome ?? 'running'}`}>
                      {run.finishedAt === null ? 'running' : words(run.outcome ?? 'finished')}
                    </span>
                    <span class="muted">
                      because {triggerText(run.trigger)} · started{' '}
                      <time title={dateTime(run.startedAt)}>{relative(run.startedAt)}</time>
                      {run.reengagedAt === null ? '' : ` · re-engaged ${relative(run.reengagedAt)}`}
                    </span>
                  </div>
                  {run.steps === null ? (
                    <p class="muted small">Its steps could not be read.</p>
                  ) : (
                    <ol class="steps">
                      {run.steps.map((step) => (
                        <li data-testid="follow-up-step">
                          <span class="step-kind">{step.kind}</span> {stepResult(step.result)}{' '}
                          <time class="muted" title={dateTime(step.startedAt)}>
                            {relative(step.startedAt)}
                          </time>
                        </li>
                      ))}
                    </ol>
                  )}
                </li>
              ))}
            </ol>
          )}
          <h3>Drops detected</h3>
          {workflow.workflow.drops.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul class="drops">
              {[...workflow.workflow.drops].reverse().map((drop) => (
                <li data-testid="drop" data-decision={drop.decision}>
                  <time title={dateTime(drop.at)}>{relative(drop.at)}</time>:{' '}
                  {triggerText(drop.trigger)}{' '}
                  <span class="muted">
                    (engagement {drop.engagement.toFixed(1)}, trust {Math.round(drop.trust * 100)}%,{' '}
                    {label(STAGE_LABEL, drop.stage)})
                  </span>{' '}
                  → {DECISION[drop.decision] ?? drop.decision}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
