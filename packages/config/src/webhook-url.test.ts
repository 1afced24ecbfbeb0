import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { redactUrl, WebhookUrlSchema } from './webhook-url.js';

const SECRET = { RAPPORT_FOLLOWUP_WEBHOOK_SECRET: '0123456789abcdef' };

describe('the webhook URL rule', () => {
  it('takes https anywhere, and plain http only to a loopback host', () => {
    const allowed = [
      'https://hooks.example.com/t/abc?key=1',
      'http://127.0.0.1:8080/hook',
      'http://127.9.8.7/hook',
      'http://[::1]:9000/hook',
      'http://localhost:3000/hook',
      'http://LOCALHOST/hook',
      // WHATWG URL reads these as 127.0.0.1.
      'http://127.1/hook',
      'http://2130706433/hook',
    ];
    for (const url of allowed) expect(WebhookUrlSchema.safeParse(url).success, url).toBe(true);
    const refused = [
      'http://hooks.example.com/hook',
      'http://10.0.0.1/hook',
      'http://127.0.0.1.nip.io/hook',
      'http://localhost.example.com/hook',
      'http://[::2]/hook',
      'ftp://127.0.0.1/hook',
      'not a url',
      'https://user:password@hooks.example.com/hook',
    ];
    for (const url of refused) expect(WebhookUrlSchema.safeParse(url).success, url).toBe(false);
  });

  it('says what it expects', () => {
    const issues = (url: string) =>
      WebhookUrlSchema.safeParse(url).error?.issues.map((issue) => issue.message);
    expect(issues('http://hooks.example.com/hook')).toEqual([
      'expected https (plain http only to a loopback host: 127.0.0.0/8, ::1 or localhost)',
    ]);
    expect(issues('https://user:pw@hooks.example.com/')).toEqual([
      'expected no user or password in the URL (put a token in its path or query)',
    ]);
    expect(issues('nope')).toEqual(['expected an https URL']);
  });

  it('is shown redacted to its origin', () => {
    expect(redactUrl('https://hooks.example.com/services/T0/B0/tok3n?key=s3cret')).toBe(
      'https://hooks.example.com/…',
    );
    expect(redactUrl('https://user:pw@hooks.example.com:8443/x')).toBe(
      'https://hooks.example.com:8443/…',
    );
    expect(redactUrl('not a url /tok3n')).toBe('(not a URL)');
  });
});

describe('RAPPORT_FOLLOWUP_WEBHOOK_URL', () => {
  it('refuses plain http to another host at start-up, naming the rule and not the token', () => {
    const start = () =>
      loadConfig({ RAPPORT_FOLLOWUP_WEBHOOK_URL: 'http://hooks.example.com/t/tok3n', ...SECRET });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(
      /RAPPORT_FOLLOWUP_WEBHOOK_URL: expected https \(plain http only to a loopback host/,
    );
    expect(start).not.toThrow(/tok3n|\/t\//);
  });

  it('takes https, and plain http to this machine', () => {
    for (const url of ['https://hooks.example.com/t/tok3n', 'http://127.0.0.1:9/hook']) {
      const config = loadConfig({ RAPPORT_FOLLOWUP_WEBHOOK_URL: url, ...SECRET });
      expect(config.worker.webhook.url).toBe(url);
    }
  });
});
