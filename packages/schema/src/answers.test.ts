import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ChannelResultSchema, IngestResultSchema } from './answers.js';

/** What a client reads from a gateway answer: its counts, or nothing. */
const countsIn = (schema: z.ZodType, body: unknown) => {
  const parsed = schema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
};

describe('gateway answers', () => {
  it('reads counts, with deadLettered on webhook routes, and nothing else', () => {
    expect(countsIn(IngestResultSchema, { accepted: 3, duplicates: 1 })).toEqual({
      accepted: 3,
      duplicates: 1,
    });
    expect(countsIn(ChannelResultSchema, { accepted: 0, duplicates: 0, deadLettered: 1 })).toEqual({
      accepted: 0,
      duplicates: 0,
      deadLettered: 1,
    });
    for (const body of [
      null,
      [],
      { accepted: '3', duplicates: 0 },
      { accepted: -1, duplicates: 0 },
    ]) {
      expect(countsIn(IngestResultSchema, body)).toBeUndefined();
      expect(countsIn(ChannelResultSchema, body)).toBeUndefined();
    }
    expect(
      countsIn(ChannelResultSchema, { accepted: 1, duplicates: 0, deadLettered: 'no' }),
    ).toBeUndefined();
  });
});
