import { fromSegment, type SegmentCallType } from '@rapport/adapters';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { RouteContext } from '../app.js';
import { budgetOf, ingest } from '../ingest.js';
import { futureIssues, type SegmentResult } from '@rapport/schema';
import { checkLimits, itemsOf, throwIfInvalid } from '../validate.js';
import { underPath } from '../errors.js';

const CALLS: readonly SegmentCallType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/**
 * Segment's HTTP tracking API (`/v1/track` … `/v1/batch`, write key as HTTP Basic user), so
 * existing Segment and RudderStack clients and server libraries can point at Rapport unchanged.
 * The mapping to canonical events lives in @rapport/adapters and is documented there.
 */
export const segmentRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const handle = (type: SegmentCallType | undefined) => async (request: FastifyRequest) => {
      const { items, pathOf } = itemsOf(request.body);
      checkLimits(items, request.rawBody?.length ?? 0, pathOf);
      const now = context.now();
      const adapted = fromSegment(request.body, {
        receivedAt: new Date(now).toISOString(),
        defaultChannel: context.deps.config.gateway.segmentDefaultChannel,
        ...(type === undefined ? {} : { type }),
      });
      if (!adapted.ok) throwIfInvalid(adapted.issues, items.length);
      const events = adapted.ok ? adapted.events : [];
      throwIfInvalid(
        events.flatMap((event, index) => underPath(pathOf(index), futureIssues(event, now))),
        items.length,
      );
      const { accepted, duplicates } = await ingest(context, events, {
        source: 'segment',
        scope: 'segment',
        budget: budgetOf(request),
        pathOf,
        links: adapted.ok ? adapted.links : [],
      });
      // Segment's API answers 200 `{ success: true }`; the counts are Rapport's addition.
      return { success: true, accepted, duplicates } satisfies SegmentResult;
    };
    const options = { config: { access: 'write' } } as const;
    for (const call of CALLS) app.post(`/v1/${call}`, options, handle(call));
    app.post('/v1/batch', options, handle(undefined));
    done();
  };
