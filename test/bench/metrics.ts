/** One series' sample from a /metrics page: its labels and its value. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One read of a service's /metrics (Prometheus' text format): every figure of one instant. */
export class MetricsReading {
  constructor(private readonly text: string) {}

  /** The samples of the series called `name`, in the page's order. */
  samples(name: string): Sample[] {
    return [...this.text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))].map(
      ([, labels = '', value]) => {
        const parsed: Record<string, string> = {};
        for (const [, label = '', text = ''] of labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
          parsed[label] = text;
        }
        return { labels: parsed, value: Number(value) };
      },
    );
  }

  /** The first sample's value of `name` (a series without labels has one), else NaN. */
  value(name: string): number {
    return this.samples(name)[0]?.value ?? Number.NaN;
  }

  /** The sum of `name`'s samples whose labels include every one of `labels` (0 with none). */
  sum(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.samples(name)
      .filter((sample) =>
        Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
      )
      .reduce((total, sample) => total + sample.value, 0);
  }
}
