import type { CustomerView } from '../api.js';
import { eventType, points, signed } from '../format.js';

const SHOWN = 6;

/**
 * What the figures are made of: the engagement points each kind of event brings (both sides of an
 * exchange), and how far each kind moved trust from neutral.
 */
export function Explanation({ view }: { readonly view: CustomerView }) {
  const engagement = view.explanation.engagement.slice(0, SHOWN);
  // The model lists both already sorted, largest part first.
  const trust = view.explanation.trust.slice(0, SHOWN);
  const maxPoints = Math.max(...engagement.map((part) => part.points), 1e-9);
  const maxEffect = Math.max(...trust.map((part) => Math.abs(part.effect)), 1e-9);
  return (
    <section
      class="card explanation"
      aria-label="Why the numbers are what they are"
      data-testid="explanation"
    >
      <h2>Why</h2>
      <h3>Engagement {points(view.engagement)}, made of</h3>
      {engagement.length === 0 ? (
        <p class="muted">Nothing yet: engagement needs value both ways.</p>
      ) : (
        <ul class="parts">
          {engagement.map((part) => (
            <li title={`they gave ${points(part.given)} · you gave ${points(part.received)}`}>
              <span class="name">{eventType(part.type)}</span>
              <span class="stack">
                <span class="them" style={{ width: `${(part.given / maxPoints) * 100}%` }} />
                <span class="us" style={{ width: `${(part.received / maxPoints) * 100}%` }} />
              </span>
              <span class="figure">{points(part.points)}</span>
            </li>
          ))}
        </ul>
      )}
      <h3>Trust {Math.round(view.trust.value * 100)}%, moved from 50% by</h3>
      {trust.length === 0 ? (
        <p class="muted">
          No evidence yet: trust sits at neutral until promises are kept or broken.
        </p>
      ) : (
        <ul class="parts diverging">
          {trust.map((part) => (
            <li>
              <span class="name">{eventType(part.type)}</span>
              <span class="axis">
                <span
                  class={part.effect >= 0 ? 'up' : 'down'}
                  style={{ width: `${(Math.abs(part.effect) / maxEffect) * 50}%` }}
                />
              </span>
              <span class="figure">{signed(part.effect * 100)} pts</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
