import { describe, expect, it } from 'vitest';
import { KeyRing, presentedKey } from './keys.js';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

describe('presentedKey', () => {
  it('reads exactly `Bearer <key>` and HTTP Basic `<key>:`', () => {
    expect(presentedKey('Bearer abc-123')).toBe('abc-123');
    expect(presentedKey('bearer abc-123')).toBe('abc-123');
    expect(presentedKey(basic('abc-123:'))).toBe('abc-123');
    expect(presentedKey(undefined)).toBeUndefined();
    expect(presentedKey('')).toBeUndefined();
  });

  it('refuses everything else instead of reading a part of it', () => {
    for (const header of [
      'Bearer abc junk',
      'Bearer  abc',
      'Bearer ',
      'Bearer abc\t',
      'Token abc',
      'abc',
      basic('abc'),
      basic('abc:password'),
      basic(':'),
      'Basic abc=def',
      'Basic YWJjOg', // `abc:` without its padding: not the canonical encoding
    ]) {
      expect(presentedKey(header), header).toBeNull();
    }
  });
});

describe('KeyRing', () => {
  const ring = new KeyRing({ write: ['write-key-0001'], read: ['read-key-00001'], admin: [] });

  it('names the class of a configured key and a stable id that is not the key', () => {
    const found = ring.identify('Bearer read-key-00001');
    expect(found).toMatchObject({ ok: true, caller: { keyClass: 'read' } });
    expect(found.ok && found.caller.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(found)).not.toContain('read-key-00001');
    expect(ring.identify('Bearer read-key-00001')).toEqual(found);
    expect(ring.identify(basic('write-key-0001:'))).toMatchObject({
      ok: true,
      caller: { keyClass: 'write' },
    });
  });

  it('tells a missing, a malformed and an unknown key apart', () => {
    expect(ring.identify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(ring.identify('Bearer read-key-00001 x')).toEqual({ ok: false, reason: 'malformed' });
    expect(ring.identify('Bearer read-key-00002')).toEqual({ ok: false, reason: 'unknown' });
  });
});
