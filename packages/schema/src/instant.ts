/**
 * Instants on the wire are RFC 3339 strings with an offset (`2024-05-01T09:30:00.000+02:00`);
 * inside the pipeline they are epoch milliseconds. The model's fold costs so little per event that
 * `Date.parse` would be a sizeable share of it (docs/performance.md), so this parses the one shape
 * the schema accepts with plain arithmetic. It agrees with `Date.parse` on every string the schema
 * accepts (a property test checks it) and returns NaN for anything else instead of guessing.
 */

/** The earliest instant the pipeline accepts: 1970-01-01T00:00:00Z. */
export const MIN_INSTANT_MS = 0;
/** The first instant it no longer accepts: 2101-01-01T00:00:00Z (the model is tested up to 2100). */
export const MAX_INSTANT_MS = 4_133_980_800_000;

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

/** Epoch milliseconds of `YYYY-MM-DDTHH:MM:SS(.fraction)?(Z|±HH:MM)`; NaN if it is not one. */
export function instantMs(text: string): number {
  if (text.length < 20 || !separatorsAt(text)) return NaN;
  const year = pair(text, 0) * 100 + pair(text, 2);
  const month = pair(text, 5);
  const day = pair(text, 8);
  const hour = pair(text, 11);
  const minute = pair(text, 14);
  const second = pair(text, 17);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
  const fractionEnd = endOfFraction(text);
  const offset = offsetMinutes(text, fractionEnd);
  return (
    daysSinceEpoch(year, month, day) * MS_PER_DAY +
    (hour * 60 + minute - offset) * MS_PER_MINUTE +
    second * 1000 +
    milliseconds(text, fractionEnd)
  );
}

const DASH = 45;
const COLON = 58;
const T = 84;
const DOT = 46;
const PLUS = 43;
const ZULU = 90;
/** What `pair` returns for a non-digit: negative enough to fail every range check after it. */
const NOT_DIGITS = -1_000_000;

function separatorsAt(text: string): boolean {
  return (
    text.charCodeAt(4) === DASH &&
    text.charCodeAt(7) === DASH &&
    text.charCodeAt(10) === T &&
    text.charCodeAt(13) === COLON &&
    text.charCodeAt(16) === COLON
  );
}

function isDigit(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  return code >= 48 && code <= 57;
}

/** The two-digit number at `at` (which must be inside the text), or NOT_DIGITS. */
function pair(text: string, at: number): number {
  if (!isDigit(text, at) || !isDigit(text, at + 1)) return NOT_DIGITS;
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

/** Index just past the optional `.fraction` that follows the seconds (NaN if it is empty). */
function endOfFraction(text: string): number {
  if (text.charCodeAt(19) !== DOT) return 19;
  let end = 20;
  while (end < text.length && isDigit(text, end)) end++;
  return end > 20 ? end : NaN;
}

/** Milliseconds of the fraction, truncated as `Date.parse` does past the third digit. */
function milliseconds(text: string, fractionEnd: number): number {
  let value = 0;
  for (let at = 20; at < 23; at++) {
    value = value * 10 + (at < fractionEnd ? text.charCodeAt(at) - 48 : 0);
  }
  return value;
}

function offsetMinutes(text: string, at: number): number {
  const sign = text.charCodeAt(at);
  if (sign === ZULU) return at + 1 === text.length ? 0 : NaN;
  if (at + 6 !== text.length || text.charCodeAt(at + 3) !== COLON) return NaN;
  const hours = pair(text, at + 1);
  const minutes = pair(text, at + 4);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
  if (sign === PLUS) return hours * 60 + minutes;
  return sign === DASH ? -(hours * 60 + minutes) : NaN;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
