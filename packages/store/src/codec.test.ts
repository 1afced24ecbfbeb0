import { describe, expect, it } from 'vitest';
import { decodeBlob, encodeBlob } from './codec';

describe('the record codec', () => {
  const json = JSON.stringify({
    m: {
      v: 1,
      n: 3,
      t: 1767225600000,
      l: [0.5, 0, 0, 1.25, 0, 0, 0, 0, 0],
      k: { 'email.replied': [3] },
    },
    x: { ch: { email: 1767225600000 }, fu: [0, 0, null, null], dr: [0, null] },
    u: 1767225600123,
  });

  it('round-trips and is much smaller than the JSON', () => {
    const blob = encodeBlob(json);
    expect(decodeBlob(blob)).toBe(json);
    expect(blob.length).toBeLessThan(json.length / 2);
  });

  it('refuses a format it does not know', () => {
    const blob = encodeBlob(json);
    blob[0] = 9;
    expect(() => decodeBlob(blob)).toThrow(/unknown record format 9/);
  });
});
