import type { CustomerView, CustomerWorkflow } from '../api.js';
import { eventType, points, relative, stepResult, words } from '../format.js';
import { ONE_WAY, oneWay } from './ledger.js';

interface Props {
  readonly view: CustomerView;
  readonly workflow: CustomerWorkflow | undefined;
}

/** When we last heard from them, or that we never did. */
const heardText = (view: CustomerView) =>
  view.activity.lastInbound === null
    ? 'never heard from them'
    : `last heard from them ${relative(view.activity.lastInbound)}`;

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const isPast = (iso: string | null, now: number) => iso !== null && Date.parse(iso) <= now;

/** Why the customer is where they are, in a sentence or two, from the figures on the page. */
function reasons(view: CustomerView, now: number): string[] {
  const found: string[] = [];
  const { predictions, rhythm } = view;
  const overdue = rhythm.intervalDays !== null && isPast(predictions.overdueAt, now);
  switch (view.status) {
    case 'dormant':
      found.push(`Dormant: ${heardText(view)}.`);
      break;
    case 'at_risk':
      found.push(
        overdue
          ? `Overdue: they usually exchange every ${rhythm.intervalDays?.toFixed(1)} days, and the last was ${relative(rhythm.lastExchange)}.`
          : view.ledger.lifetime.given === 0
            ? 'They have never given anything back: engagement needs value both ways, and there is none from them.'
            : `Engagement has fallen to ${points(view.engagement)} of 100: too little value is exchanged, both ways, to call this a relationship.`,
      );
      break;
    case 'cooling':
      found.push(
        `Cooling: engagement ${points(view.engagement)} is below engaged` +
          (predictions.atRiskAt === null
            ? '.'
            : `; at risk ${relative(predictions.atRiskAt)} if nothing happens.`),
      );
      break;
    case 'engaged':
      found.push(
        `Engaged at ${points(view.engagement)}` +
          (predictions.coolingAt === null
            ? '.'
            : `; starts cooling ${relative(predictions.coolingAt)} if nothing happens.`),
      );
      break;
  }
  if (view.status !== 'engaged' && view.status !== 'dormant') {
    found.push(`${capitalized(heardText(view))}.`);
  }
  const direction = oneWay(view);
  if (direction !== null) found.push(ONE_WAY[direction]);
  const worst = [...view.explanation.trust].sort((a, b) => a.effect - b.effect)[0];
  if (worst !== undefined && worst.effect < -0.02) {
    found.push(
      `Trust is pulled down most by ${eventType(worst.type)} (${Math.round(worst.effect * 100)} pts).`,
    );
  }
  return found;
}

/** What Rapport is doing about it: a follow-up running, the last one's outcome, or nothing yet. */
function action(view: CustomerView, workflow: CustomerWorkflow | undefined): string {
  const running = workflow?.followUps.find((run) => run.finishedAt === null);
  if (running !== undefined) {
    const step = running.steps?.at(-1);
    return (
      `Follow-up “${running.playbook}” is running since ${relative(running.startedAt)}` +
      (step === undefined ? '.' : `: ${step.kind} — ${stepResult(step.result)}.`)
    );
  }
  const last = workflow?.followUps[0];
  if (last !== undefined) {
    return `The last follow-up, “${last.playbook}”, ended ${words(last.outcome ?? 'finished')} ${relative(last.finishedAt ?? last.startedAt)}.`;
  }
  if (workflow === undefined && view.followUps.active) return 'A follow-up is running.';
  if (view.status === 'at_risk' || view.status === 'dormant') {
    return 'No follow-up has started: no playbook matched, or one ran too recently.';
  }
  return 'Nothing to do yet: Rapport starts a follow-up when engagement drops.';
}

export function Verdict({ view, workflow }: Props) {
  const now = Date.now();
  return (
    <section
      class={`card verdict verdict-${view.status}`}
      data-testid="verdict"
      aria-label="Why, and what Rapport does"
    >
      <ul class="why">
        {reasons(view, now).map((reason) => (
          <li>{reason}</li>
        ))}
      </ul>
      <p class="doing" data-testid="doing">
        <strong>What Rapport does:</strong> {action(view, workflow)}
      </p>
    </section>
  );
}
