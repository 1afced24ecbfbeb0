import { describe, expect, it } from 'vitest';
import { parseRow } from './rejects.js';

describe('parseRow', () => {
  it('reads an object of text cells, keeping any column name', () => {
    expect(parseRow('{"eventId":"e1","__proto__":"x"}')).toEqual(
      Object.fromEntries([
        ['eventId', 'e1'],
        ['__proto__', 'x'],
      ]),
    );
  });

  it('refuses anything else', () => {
    for (const text of ['not json', '"text"', '["a"]', '{"n":1}', 'null']) {
      expect(parseRow(text)).toBeUndefined();
    }
  });
});
