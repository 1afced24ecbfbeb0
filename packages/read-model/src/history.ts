import {
  ByteReader,
  ByteWriter,
  exactCount,
  StageSchema,
  StatusSchema,
  type Headline,
  type Stage,
  type Status,
  utf8Text,
} from '@rapport/model';
import { z } from 'zod';
import type { LogEntry } from './logs.js';
import { roundedFigures } from './views.js';

/**
 * A history point: `[at, engagement, participation, trust, status, stage]`, read at the state's
 * latest event, engagement and participation to 2 decimals and trust to 4 (one per write, so
 * there are many per customer). The layout before stored it as this tuple's JSON; those entries
 * are still read (logs.ts).
 */
export const StoredSnapshotSchema = z.tuple([
  z.number(),
  z.number(),
  z.number(),
  z.number(),
  StatusSchema,
  StageSchema,
]);
export type StoredSnapshot = z.infer<typeof StoredSnapshotSchema>;

/**
 * FROZEN, as the entries' codes: bytes written with these orders are read with them. Their own,
 * not the schemas' options, which may be reordered.
 */
const STATUSES = ['engaged', 'cooling', 'at_risk', 'dormant'] as const satisfies readonly Status[];
const STAGES = [
  'prospect',
  'onboarding',
  'active',
  'at_risk',
  'dormant',
  'churned',
] as const satisfies readonly Stage[];

/**
 * The binary entry, about 13 bytes where the JSON took about 55: a byte of status (2 bits) and
 * stage (3 bits), then the instant and the three figures as varints, the figures in hundredths
 * (trust in ten-thousandths). Those integers give back exactly the rounded doubles (k / 100 is
 * the double nearest the decimal, as the JSON's was). A point that does not fit (an instant
 * that is not a whole millisecond, a figure out of range: never, for the model's readings) has
 * the EXACT bit and its four numbers as ByteWriter numbers, float64 where need be.
 */
const EXACT = 0b10_0000;
const HUNDREDTHS = 100;
const TEN_THOUSANDTHS = 10_000;

const writer = new ByteWriter();

/** The history point of a reading, binary (logs.ts frames it). */
export function encodeSnapshot(reading: Headline): Buffer {
  const [at, engagement, participation, trust, status, stage] = storedSnapshot(reading);
  const counts = [
    exactCount(at, 1),
    exactCount(engagement, HUNDREDTHS),
    exactCount(participation, HUNDREDTHS),
    exactCount(trust, TEN_THOUSANDTHS),
  ];
  const fits = counts.every((count): count is number => count !== undefined);
  writer.reset().byte(STATUSES.indexOf(status) | (STAGES.indexOf(stage) << 2) | (fits ? 0 : EXACT));
  if (fits) for (const count of counts) writer.uint(count);
  else for (const value of [at, engagement, participation, trust]) writer.number(value);
  return Buffer.from(writer.written());
}

function storedSnapshot(reading: Headline): StoredSnapshot {
  const { engagement, participation, trust } = roundedFigures(reading);
  return [reading.asOf, engagement, participation, trust, reading.status, reading.stage];
}

/** A stored entry back as the tuple; throws if it is neither form. */
export function decodeSnapshot({ legacy, bytes }: LogEntry): StoredSnapshot {
  if (legacy) return StoredSnapshotSchema.parse(JSON.parse(utf8Text(bytes)));
  const reader = new ByteReader(bytes);
  const head = reader.byte();
  const status = STATUSES[head & 0b11];
  const stage = STAGES[(head >> 2) & 0b111];
  if (status === undefined || stage === undefined || head > (EXACT | 0b1_1111)) {
    throw new Error(`not a history point (head byte ${head})`);
  }
  const numbers =
    head & EXACT
      ? [reader.number(), reader.number(), reader.number(), reader.number()]
      : [
          reader.uint(),
          reader.uint() / HUNDREDTHS,
          reader.uint() / HUNDREDTHS,
          reader.uint() / TEN_THOUSANDTHS,
        ];
  reader.end();
  return StoredSnapshotSchema.parse([...numbers, status, stage]);
}
