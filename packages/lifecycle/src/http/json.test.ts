import { describe, expect, it } from 'vitest';
import type { ApiError } from './errors.js';
import { jsonDepth, MAX_JSON_DEPTH, parseJsonBody } from './json.js';

const body = (text: string) => Buffer.from(text);
const refusal = (text: string) => {
  try {
    parseJsonBody(body(text));
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('accepted');
};

describe('JSON bodies', () => {
  it('counts nesting outside strings only', () => {
    expect(jsonDepth(body('{"a":[1,{"b":2}]}'))).toBe(3);
    expect(jsonDepth(body('"[[[[{{{{"'))).toBe(0);
    expect(jsonDepth(body('["\\"[[["]'))).toBe(1);
    expect(jsonDepth(body('42'))).toBe(0);
  });

  it('parses up to the depth limit and refuses deeper, with a 400', () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(() => parseJsonBody(body(nested(MAX_JSON_DEPTH)))).not.toThrow();
    const deep = refusal(nested(MAX_JSON_DEPTH + 1));
    expect([deep.status, deep.code]).toEqual([400, 'INVALID_JSON']);
    expect(refusal(nested(100_000)).code).toBe('INVALID_JSON');
  });

  it('refuses prototype poisoning, invalid JSON and an empty body with a 400', () => {
    for (const text of [
      '{"__proto__":{"x":1}}',
      '{"a":{"constructor":{"prototype":{"x":1}}}}',
      '{"a":',
      '',
    ]) {
      const error = refusal(text);
      expect([error.status, error.code], text).toEqual([400, 'INVALID_JSON']);
    }
    expect(parseJsonBody(body('{"constructor":"fine"}'))).toEqual({ constructor: 'fine' });
  });
});
