/**
 * The named text fields of an `application/x-www-form-urlencoded` body (how Mailgun posts a
 * route's message), the first of each name; `undefined` for any other content type. Mailgun posts
 * `multipart/form-data` when a message has attachments; the gateway refuses that type before any
 * scheme runs (docs/channels.md, Mailgun), so it is not read here.
 */
export function formFields(
  rawBody: Buffer,
  contentType: string | undefined,
  names: readonly string[],
): ReadonlyMap<string, string> | undefined {
  if (!(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return undefined;
  }
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    if (names.includes(name) && !fields.has(name)) fields.set(name, value);
  }
  return fields;
}
