import type { CustomerView } from '../api.js';
import { points } from '../format.js';

/** Below this share of the exchange, one side is hardly giving anything back. */
const ONE_WAY_SHARE = 0.15;

/** Who gives in a one-way exchange, in words the page uses wherever it says so. */
export const ONE_WAY = {
  us: 'One-way: you give, they hardly give back. Interaction is not engagement.',
  them: 'One-way: they give, you hardly give back. Are they being heard?',
} as const;

export function oneWay(view: CustomerView): keyof typeof ONE_WAY | null {
  const { given, received } = view.ledger;
  const total = given + received;
  if (!(total > 0)) return null;
  if (given / total < ONE_WAY_SHARE) return 'us';
  if (received / total < ONE_WAY_SHARE) return 'them';
  return null;
}

const Side = ({
  label,
  now,
  lifetime,
  scale,
  side,
}: {
  readonly label: string;
  readonly now: number;
  readonly lifetime: number;
  readonly scale: number;
  readonly side: 'them' | 'us';
}) => (
  <div class={`side side-${side}`}>
    <span class="side-label">{label}</span>
    <span class="bars">
      <span class="bar lifetime" style={{ width: `${(lifetime / scale) * 100}%` }} />
      <span class="bar now" style={{ width: `${(now / scale) * 100}%` }} />
    </span>
    <span class="figure" data-testid={`ledger-${side}`} data-value={now}>
      {points(now)} <span class="muted">now · {points(lifetime)} ever</span>
    </span>
  </div>
);

/**
 * The two-way ledger as two bars facing each other: what the customer gave, what the business
 * gave, now (decayed) and over the whole relationship. A one-way blast shows as one bar and a
 * flag.
 */
export function Ledger({ view }: { readonly view: CustomerView }) {
  const { ledger } = view;
  const scale = Math.max(
    ledger.lifetime.given,
    ledger.lifetime.received,
    ledger.given,
    ledger.received,
    1e-9,
  );
  const flag = oneWay(view);
  return (
    <section class="card ledger" aria-label="Value exchanged" data-testid="ledger">
      <h2>Value exchanged</h2>
      <div class="exchange">
        <Side
          label="They gave"
          now={ledger.given}
          lifetime={ledger.lifetime.given}
          scale={scale}
          side="them"
        />
        <Side
          label="You gave"
          now={ledger.received}
          lifetime={ledger.lifetime.received}
          scale={scale}
          side="us"
        />
      </div>
      {flag !== null && (
        <p class="flag" data-testid="one-way" data-direction={flag}>
          {ONE_WAY[flag]}
        </p>
      )}
      <p class="muted small">
        Attention (views, opens, visits) {points(ledger.attention)} now — it drives participation,
        not engagement. {ledger.counts.inbound} interactions from them, {ledger.counts.outbound} to
        them.
      </p>
    </section>
  );
}
