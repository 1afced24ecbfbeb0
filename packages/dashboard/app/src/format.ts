/** How numbers and instants read on the page. */

export const points = (value: number) => value.toFixed(1);
export const percent = (unit: number) => `${Math.round(unit * 100)}%`;
export const signed = (value: number, digits = 1) =>
  `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`;

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];
const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "in 3 days", "2 hours ago", of an ISO instant or epoch milliseconds. */
export function relative(instant: string | number | null, now = Date.now()): string {
  if (instant === null) return '—';
  const delta = (typeof instant === 'number' ? instant : Date.parse(instant)) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === 'second') {
      return relativeFormat.format(Math.round(delta / ms), unit);
    }
  }
  return '—';
}

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
});
export const dateTime = (iso: string | number | null) =>
  iso === null ? '—' : dateTimeFormat.format(new Date(iso));

/** `support.ticket_opened` → `support · ticket opened`. */
export const eventType = (type: string) => {
  const dot = type.indexOf('.');
  return dot < 0
    ? type.replace(/_/g, ' ')
    : `${type.slice(0, dot)} · ${type.slice(dot + 1).replace(/_/g, ' ')}`;
};

/** The statuses and stages in the model's order (StatusSchema, StageSchema), as people read them. */
export const STATUS_LABEL = {
  engaged: 'Engaged',
  cooling: 'Cooling',
  at_risk: 'At risk',
  dormant: 'Dormant',
} as const;
export const STAGE_LABEL = {
  prospect: 'Prospect',
  onboarding: 'Onboarding',
  active: 'Active',
  at_risk: 'At risk',
  dormant: 'Dormant',
  churned: 'Churned',
} as const;
export const STATUSES = Object.keys(STATUS_LABEL) as (keyof typeof STATUS_LABEL)[];
export const STAGES = Object.keys(STAGE_LABEL) as (keyof typeof STAGE_LABEL)[];

/**
 * A step's result (`delivered`, `re_engaged`, `failed: …`, `skipped: …`) as a sentence: codes
 * read as words, the explanation after the colon is kept as written (it may name a setting).
 */
export const stepResult = (result: string) => {
  const colon = result.indexOf(':');
  const code = colon < 0 ? result : result.slice(0, colon);
  return words(code) + (colon < 0 ? '' : result.slice(colon));
};

/** `re_engaged` → `re engaged`: an outcome or other code as words. */
export const words = (code: string) => code.replace(/_/g, ' ');

export const label = (labels: Readonly<Record<string, string>>, key: string) =>
  labels[key] ?? words(key);
