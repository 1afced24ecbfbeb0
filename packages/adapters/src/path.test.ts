import { describe, expect, it } from 'vitest';
import { compilePath, issuePath, resolvePath } from './path.js';

const at = (value: unknown, text: string) => resolvePath(value, compilePath(text)?.segments ?? []);

describe('paths', () => {
  it('compiles keys, indices and quoted keys', () => {
    expect(compilePath('$')?.segments).toEqual([]);
    expect(compilePath('$.author.external_id')?.segments).toEqual(['author', 'external_id']);
    expect(compilePath('$.items[0].smtp-id')?.segments).toEqual(['items', 0, 'smtp-id']);
    expect(compilePath('$["Customer ID"][12]')?.segments).toEqual(['Customer ID', 12]);
  });

  it.each(['', 'author.id', '$.', '$..a', '$[x]', '$[-1]', '$.a b', '$["a"b"]', '$.a[0'])(
    'refuses %j',
    (text) => {
      expect(compilePath(text)).toBeUndefined();
    },
  );

  it('resolves own keys and indices, and nothing else', () => {
    const payload = { posts: [{ id: 7, 'Customer ID': 'c-1' }], empty: null };
    expect(at(payload, '$.posts[0].id')).toBe(7);
    expect(at(payload, '$.posts[0]["Customer ID"]')).toBe('c-1');
    expect(at(payload, '$.posts[1].id')).toBeUndefined();
    expect(at(payload, '$.posts.id')).toBeUndefined();
    expect(at(payload, '$.empty.id')).toBeUndefined();
    expect(at(payload, '$.constructor')).toBeUndefined();
    expect(at(payload, '$.posts[0].toString')).toBeUndefined();
    expect(at('text', '$.length')).toBeUndefined();
  });

  it('names a place the way issues do', () => {
    expect(issuePath(['posts', 3, 'author'])).toBe('posts.3.author');
  });
});
