import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Problem, Snapshot } from '../api.js';
import { ProblemView } from '../components/problem-view.js';

interface Props {
  readonly snapshots: readonly Snapshot[] | undefined;
  readonly problem: Problem | undefined;
}

const HEIGHT = 220;

/** uPlot wants columns: instants in seconds, then one array per line. */
function columns(snapshots: readonly Snapshot[]): uPlot.AlignedData {
  return [
    snapshots.map((point) => Date.parse(point.at) / 1000),
    snapshots.map((point) => point.engagement),
    snapshots.map((point) => point.participation),
    snapshots.map((point) => point.trust * 100),
  ];
}

const line = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({
  label,
  stroke,
  width: 2,
  ...(dash ? { dash } : {}),
  value: (_plot, value) => (value === null ? '—' : value.toFixed(1)),
});

/**
 * Engagement, participation and trust over the stored history (one point per write, at the
 * latest event's instant), so a slow cooling or a sudden drop is seen, not read.
 */
export function HistoryChart({ snapshots, problem }: Props) {
  const target = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const drawable = snapshots !== undefined && snapshots.length >= 2;
  // One chart for the page's life: a re-read gives it new data (a new chart each time would
  // flicker and lose the cursor under a busy stream).
  useEffect(() => {
    const element = target.current;
    if (element === null || !drawable) return;
    const chart = new uPlot(
      {
        width: element.clientWidth,
        height: HEIGHT,
        scales: { y: { range: [0, 100] } },
        series: [
          {},
          line('Engagement', '#2563eb'),
          line('Participation', '#9333ea', [4, 4]),
          line('Trust %', '#059669'),
        ],
        legend: { live: true },
      },
      [[], [], [], []],
      element,
    );
    plot.current = chart;
    const resized = new ResizeObserver(() =>
      chart.setSize({ width: element.clientWidth, height: HEIGHT }),
    );
    resized.observe(element);
    return () => {
      resized.disconnect();
      chart.destroy();
      plot.current = undefined;
    };
  }, [drawable]);
  useEffect(() => {
    if (snapshots !== undefined && snapshots.length >= 2) plot.current?.setData(columns(snapshots));
  }, [snapshots, drawable]);

  return (
    <section class="card history" aria-label="Over time" data-testid="history">
      <h2>Over time</h2>
      {problem !== undefined && snapshots === undefined ? (
        <ProblemView problem={problem} />
      ) : snapshots === undefined ? (
        <p class="loading">Loading…</p>
      ) : !drawable ? (
        <p class="muted">A line needs two points: the history grows with each event.</p>
      ) : (
        <div
          ref={target}
          class="chart"
          data-testid="history-chart"
          data-points={snapshots.length}
        />
      )}
      <p class="muted small">
        Each point is the state after an event, read at that event's time; the API keeps a
        customer's latest ones.
      </p>
    </section>
  );
}
