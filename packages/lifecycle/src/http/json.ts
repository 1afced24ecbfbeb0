import secureJson from 'secure-json-parse';
import { ApiError } from './errors.js';

/**
 * Deepest nesting of objects and arrays a request body may have. Real payloads (Segment's
 * `context`, provider webhooks) stay far below it; far deeper documents exist only to exhaust a
 * recursive validator's stack.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting in JSON text, counted over its bytes (strings skipped) before parsing. */
export function jsonDepth(bytes: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return deepest;
}

/**
 * Parses a request body: too deep a document, invalid JSON, and the keys that poison prototypes
 * once merged into an object (`__proto__`, `constructor.prototype`) are each a 400, never a 500.
 */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) {
    throw new ApiError(400, 'INVALID_JSON', 'the body is empty; send a JSON document');
  }
  if (jsonDepth(body) > MAX_JSON_DEPTH) {
    throw new ApiError(
      400,
      'INVALID_JSON',
      `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
    );
  }
  try {
    return secureJson.parse(body.toString('utf8'), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    });
  } catch (error) {
    const reason =
      error instanceof SyntaxError ? error.message : 'it sets __proto__ or constructor.prototype';
    throw new ApiError(400, 'INVALID_JSON', `the body is not acceptable JSON: ${reason}`);
  }
}
