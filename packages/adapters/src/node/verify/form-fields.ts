/**
 * The named text fields of a form body, `application/x-www-form-urlencoded` or
 * `multipart/form-data` (the two ways Mailgun posts a route's message: multipart when it has
 * attachments). Only the fields asked for are kept, the first of each name; file parts are
 * skipped. `undefined` for any other content type, or a multipart body without its boundary.
 */
export function formFields(
  rawBody: Buffer,
  contentType: string | undefined,
  names: readonly string[],
): ReadonlyMap<string, string> | undefined {
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return pick(new URLSearchParams(rawBody.toString('utf8')), names);
  }
  if (!type.startsWith('multipart/form-data')) return undefined;
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const delimiter = boundary?.[1] ?? boundary?.[2];
  return delimiter === undefined ? undefined : pick(multipartFields(rawBody, delimiter), names);
}

function pick(
  entries: Iterable<readonly [string, string]>,
  names: readonly string[],
): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  for (const [name, value] of entries) {
    if (names.includes(name) && !fields.has(name)) fields.set(name, value);
  }
  return fields;
}

/**
 * RFC 7578's parts: `--boundary`, headers, a blank line, the value, CRLF. Read as latin1 so that
 * every byte stays one character, then each value decoded as UTF-8.
 */
function* multipartFields(rawBody: Buffer, boundary: string): Generator<[string, string]> {
  for (const part of rawBody.toString('latin1').split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const disposition = /^content-disposition:\s*form-data;(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined || /\bfilename\*?=/i.test(disposition)) continue;
    const value = part.slice(split + 4).replace(/\r\n$/, '');
    yield [
      Buffer.from(name, 'latin1').toString('utf8'),
      Buffer.from(value, 'latin1').toString('utf8'),
    ];
  }
}
