import { describe, expect, it } from 'vitest';
import { serviceError } from './answers.js';

describe('error answers', () => {
  it('reads the one error shape, issues optional', () => {
    const issues = [{ path: 'batch.2.value', message: 'Too small' }];
    expect(serviceError({ error: { code: 'VALIDATION_FAILED', message: 'bad', issues } })).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'bad',
      issues,
    });
    expect(serviceError({ error: { code: 'RATE_LIMITED', message: 'slow down' } })?.issues).toEqual(
      [],
    );
    expect(
      serviceError({ error: { code: 'X', message: 'm', issues: [{ path: 1 }] } }),
    ).toBeUndefined();
    expect(serviceError({ message: 'Bad Gateway' })).toBeUndefined();
  });
});
