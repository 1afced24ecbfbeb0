import type { CustomerView } from '../api.js';
import { Meter } from '../components/bits.js';
import { percent, points } from '../format.js';

const DIMENSIONS: [keyof CustomerView['dimensions'], string, string][] = [
  ['voluntary', 'Voluntary', 'they come on their own, not because they were asked'],
  ['positive', 'Positive', 'the tone of what they say'],
  ['intense', 'Intense', 'how much happens in an exchange'],
  ['enduring', 'Enduring', 'how long the relationship has lasted'],
  ['public', 'Public', 'said where others see it'],
  ['formal', 'Formal', 'through formal channels'],
  ['symmetric', 'Symmetric', 'both sides give alike'],
];

/** The three figures now, trust with how sure Rapport is of it, and the seven dimensions. */
export function Figures({ view }: { readonly view: CustomerView }) {
  const { trust } = view;
  // Where trust could be, as sure as Rapport is: the whole scale at no confidence, a point at full.
  const spread = (1 - trust.confidence) / 2;
  const band = {
    low: Math.max(0, trust.value - spread),
    high: Math.min(1, trust.value + spread),
  };
  return (
    <section class="card figures" aria-label="Figures now">
      <h2>Now</h2>
      <dl class="big-figures">
        <div data-testid="figure-engagement" data-value={view.engagement}>
          <dt>Engagement</dt>
          <dd>
            <strong>{points(view.engagement)}</strong>
            <span class="muted">/ 100</span>
            <Meter value={view.engagement} />
          </dd>
        </div>
        <div data-testid="figure-participation" data-value={view.participation}>
          <dt>Participation</dt>
          <dd>
            <strong>{points(view.participation)}</strong>
            <span class="muted">/ 100</span>
            <Meter value={view.participation} />
          </dd>
        </div>
        <div data-testid="figure-trust" data-value={trust.value}>
          <dt>Trust</dt>
          <dd>
            <strong>{percent(trust.value)}</strong>
            <span class="muted" data-testid="trust-confidence" data-value={trust.confidence}>
              confidence {percent(trust.confidence)}
            </span>
            <span class="confidence" title="trust, with the band of how sure Rapport is">
              <span
                class="band"
                style={{ left: `${band.low * 100}%`, width: `${(band.high - band.low) * 100}%` }}
              />
              <span class="mark" style={{ left: `${trust.value * 100}%` }} />
            </span>
            <span class="muted small">
              warmth {percent(trust.warmth)} · competence {percent(trust.competence)}
            </span>
          </dd>
        </div>
      </dl>
      <h3>The relationship</h3>
      <ul class="dimensions" data-testid="dimensions">
        {DIMENSIONS.map(([name, title, meaning]) => (
          <li title={meaning}>
            <span class="name">{title}</span>
            <Meter value={view.dimensions[name]} max={1} />
            <span class="figure">{percent(view.dimensions[name])}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
