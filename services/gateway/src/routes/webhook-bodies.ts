import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

/** A form's fields as an object; a name given more than once holds all its values, in order. */
export function formFields(body: Buffer): Record<string, string | string[]> {
  const fields = new Map<string, string | string[]>();
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    const earlier = fields.get(name);
    fields.set(name, earlier === undefined ? value : [earlier, value].flat());
  }
  // Own properties, whatever the names (`__proto__` too): no prototype is ever set from a form.
  return Object.fromEntries(fields);
}

/**
 * What provider webhooks may carry besides the shell's JSON: HTML forms (Twilio posts them),
 * read as bytes first, kept for the signature and the dead letters, then parsed to an object for
 * the adapter. Registered in the channel routes' plugin, so every other route stays JSON-only.
 */
export function acceptWebhookBodies(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (request, body, done) => {
      request.rawBody = body as Buffer;
      done(null, formFields(body as Buffer));
    },
  );
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(
      new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'send `Content-Type: application/json` or `application/x-www-form-urlencoded`',
      ),
    );
  });
}
