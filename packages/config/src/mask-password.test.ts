import { describe, expect, it } from 'vitest';
import { maskPassword } from './mask-password.js';

describe('maskPassword', () => {
  it('hides the password of a URL and keeps the rest', () => {
    expect(maskPassword('rediss://rapport:s3cret@redis.example.com:6380/2')).toBe(
      'rediss://rapport:***@redis.example.com:6380/2',
    );
    expect(maskPassword('redis://:s3cret@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379');
    expect(maskPassword('redis://:p%40ss%3Aword@h:1')).toBe('redis://:***@h:1');
  });

  it('leaves a URL without a password as it is', () => {
    expect(maskPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskPassword('redis://rapport@127.0.0.1:6379')).toBe('redis://rapport@127.0.0.1:6379');
  });

  it('shows nothing of what does not parse (a mistyped URL)', () => {
    expect(maskPassword('rediss//rapport:s3cret@redis.example.com')).toBe(
      '(a URL that does not parse)',
    );
  });
});
