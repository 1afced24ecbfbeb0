import { describe, expect, it } from 'vitest';
import { sharedProbe } from './shared-probe.js';

describe('sharedProbe', () => {
  it('gives callers at once the call in flight, and a later caller a call of its own', async () => {
    let calls = 0;
    let answer: () => void = () => undefined;
    const probe = sharedProbe(() => {
      calls += 1;
      return new Promise<void>((resolve) => (answer = resolve));
    });
    const together = [probe(), probe(), probe()];
    answer();
    await Promise.all(together);
    expect(calls).toBe(1);
    const later = probe();
    answer();
    await later;
    expect(calls).toBe(2);
  });

  it('shares a failure too, and asks again after it', async () => {
    let calls = 0;
    const probe = sharedProbe(() => {
      calls += 1;
      return Promise.reject(new Error('down'));
    });
    await expect(Promise.all([probe(), probe()])).rejects.toThrow('down');
    await expect(probe()).rejects.toThrow('down');
    expect(calls).toBe(2);
  });
});
