import { parseJsonBody } from '@rapport/lifecycle';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
 * What provider webhooks may carry: JSON, and HTML forms (Twilio posts them). Both are read as
 * bytes only and parsed after the channel's scheme verified those bytes (`webhookPayload`): an
 * unauthenticated body is never parsed, and a one-byte change is a bad signature whatever it does
 * to the syntax. Registered in the channel routes' plugin, so every other route keeps the shell's
 * JSON parser.
 */
export function acceptWebhookBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser([JSON_TYPE, FORM_TYPE], { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, body);
  });
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(
      new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `send \`Content-Type: ${JSON_TYPE}\` or \`${FORM_TYPE}\``,
      ),
    );
  });
}

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** The body as the adapter reads it: a form's fields, else the JSON document (400 if it is not). */
export function webhookPayload(request: FastifyRequest): unknown {
  const body = request.rawBody ?? Buffer.alloc(0);
  const type = request.headers['content-type'] ?? '';
  return type.toLowerCase().startsWith(FORM_TYPE) ? formFields(body) : parseJsonBody(body);
}
