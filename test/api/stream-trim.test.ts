import { ChangeSchema, indexShards } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_TOPOLOGIES } from '../harness/index.js';
import { randomEvents } from '../projector/helpers.js';
import { openStream, startTestApi, until, type TestApi } from './helpers.js';

/** More than one read of the live readers (500), all but KEPT of them trimmed before it. */
const ADDED = 1_200;
const KEPT = 600;

/**
 * The live readers read from their own position. When a stream drops changes they have not read
 * yet (they fell more than RAPPORT_CHANGE_STREAM_LENGTH behind), Redis answers from the oldest
 * change it keeps: every client must be told of the gap, not miss the changes silently.
 */
describe.each(REDIS_TOPOLOGIES)(
  'a stream trimmed past the live readers on $topology',
  ({ redis }) => {
    let t: TestApi;

    beforeAll(async () => {
      t = await startTestApi('stream-trim', redis());
    });
    afterAll(async () => {
      await t?.stop();
    });

    it('tells every client of the gap, live or resuming, then sends what the stream kept', async () => {
      const stream = await openStream(`${t.api.url}/v1/stream`, {
        authorization: `Bearer ${t.config.auth.read[0]}`,
      });
      await t.project(randomEvents(1, 1, 26));
      await until(() => stream.events.length === 1);
      const key = t.store.keys.changes(indexShards(1)[0]!);
      const [[, fields] = ['', []]] = await t.redis.xrange(key, '-', '+');

      // Changes added and trimmed in one transaction: the readers, at the newest change before it,
      // next read the oldest change kept, 600 past their position.
      const transaction = t.redis.multi();
      for (let n = 0; n < ADDED; n += 1) transaction.xadd(key, '*', ...fields);
      transaction.xtrim(key, 'MAXLEN', KEPT);
      await transaction.exec();
      const kept = await t.redis.xrange(key, '-', '+');
      expect(kept).toHaveLength(KEPT);

      await until(() => stream.events.length === 2 + KEPT);
      await stream.close();
      const [first, gap, ...sent] = stream.events;
      expect(first?.event).toBe('change');
      expect(gap?.event).toBe('gap');
      expect(JSON.parse(gap?.data ?? '{}')).toEqual({ oldestId: kept[0]?.[0] });
      expect(sent.map((event) => event.id)).toEqual(kept.map(([id]) => id));
      for (const event of sent) ChangeSchema.parse(JSON.parse(event.data ?? ''));

      // A client resuming from before the trim is told of it too, though the stream holds fewer
      // changes than a catch-up sends: trimming leaves max-deleted-entry-id as it was.
      const resumed = await openStream(`${t.api.url}/v1/stream`, {
        authorization: `Bearer ${t.config.auth.read[0]}`,
        'last-event-id': first?.id ?? '',
      });
      await until(() => resumed.events.length === 1 + KEPT);
      await resumed.close();
      expect(resumed.events[0]?.event).toBe('gap');
      expect(JSON.parse(resumed.events[0]?.data ?? '{}')).toEqual({ oldestId: kept[0]?.[0] });
      expect(resumed.events.slice(1).map((event) => event.id)).toEqual(kept.map(([id]) => id));
    });
  },
);
