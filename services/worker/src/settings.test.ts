import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { describe, expect, it, onTestFinished } from 'vitest';
import { choosePlaybook } from '@rapport/workflows';
import {
  DEFAULT_PLAYBOOKS_FILE,
  engagementSettings,
  loadPlaybooks,
  PlaybooksError,
} from './settings.js';

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'playbooks-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'playbooks.yaml');
  await writeFile(path, text);
  return path;
}

describe('playbooks', () => {
  it('the default set covers a cooling active customer, a silent onboarding one and a trust breach', async () => {
    const { playbooks } = await loadPlaybooks(DEFAULT_PLAYBOOKS_FILE);
    expect(choosePlaybook(playbooks, 'threshold', 'active')?.name).toBe('cooling-active');
    expect(choosePlaybook(playbooks, 'silence', 'onboarding')?.name).toBe('silent-onboarding');
    expect(choosePlaybook(playbooks, 'trust_breach', 'prospect')?.name).toBe('trust-breach');
    expect(choosePlaybook(playbooks, 'silence', 'prospect')).toBeUndefined();
    expect(playbooks[0]?.steps[1]).toEqual({ kind: 'wait', upToMs: 3 * 86_400_000 });
  });

  it('refuses a file with every problem named by its path', async () => {
    const path = await file(
      [
        'playbooks:',
        '  - name: Bad Name',
        '    when: { triggers: [sometimes] }',
        '    steps:',
        '      - { kind: wait, upTo: soon }',
        '      - { kind: notify }',
      ].join('\n'),
    );
    const error = await loadPlaybooks(path).catch((caught: unknown) => caught);
    if (!(error instanceof PlaybooksError))
      throw new Error(`expected PlaybooksError: ${String(error)}`);
    expect(error).toMatchObject({ code: 'PLAYBOOKS_INVALID', retriable: false });
    const paths = error.issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining(['playbooks.0.name', 'playbooks.0.when.triggers.0']),
    );
    expect(paths.some((where) => where.startsWith('playbooks.0.steps.0'))).toBe(true);
    expect(paths.some((where) => where.startsWith('playbooks.0.steps.1'))).toBe(true);
  });

  it('refuses duplicate names, YAML that does not parse, and a missing file', async () => {
    const step = '    steps: [{ kind: close, outcome: no_response }]';
    const twice = [
      'playbooks:',
      ...['a', 'a'].flatMap((name) => [
        `  - name: ${name}`,
        '    when: { triggers: [silence] }',
        step,
      ]),
    ];
    await expect(loadPlaybooks(await file(twice.join('\n')))).rejects.toThrow(/unique/);
    await expect(loadPlaybooks(await file('playbooks: [\n'))).rejects.toThrow(/not YAML/);
    await expect(loadPlaybooks('/nonexistent/playbooks.yaml')).rejects.toThrow(/cannot read/);
  });
});

describe('per-step webhook URLs', () => {
  const TOKEN = 'tok3n-5b1f0c2e';
  const playbook = (url: string) =>
    [
      'playbooks:',
      '  - name: cooling',
      '    when: { triggers: [threshold] }',
      '    steps:',
      '      - { kind: notify, message: Check in. }',
      '      - { kind: wait, upTo: 7d }',
      `      - { kind: escalate, message: Call them., url: "${url}" }`,
    ].join('\n');

  it("stay in the worker: the workflows' playbooks have none, the worker finds them by step", async () => {
    const url = `https://hooks.example.com/services/${TOKEN}?key=q`;
    const { playbooks, steps } = await loadPlaybooks(await file(playbook(url)));
    expect(playbooks[0]?.steps[2]).toEqual({ kind: 'escalate', message: 'Call them.' });
    expect(JSON.stringify(playbooks)).not.toContain(TOKEN);
    expect(steps).toEqual(new Map([['cooling', new Map([[2, { kind: 'webhook', url }]])]]));
  });

  it('take plain http to this machine only; the error names the step, not the token', async () => {
    const local = await loadPlaybooks(await file(playbook(`http://127.0.0.1:9/${TOKEN}`)));
    expect(local.steps.get('cooling')?.get(2)).toEqual({
      kind: 'webhook',
      url: `http://127.0.0.1:9/${TOKEN}`,
    });

    const error = await loadPlaybooks(
      await file(playbook(`http://hooks.example.com/services/${TOKEN}`)),
    ).catch((caught: unknown) => caught);
    if (!(error instanceof PlaybooksError))
      throw new Error(`expected PlaybooksError: ${String(error)}`);
    expect(error.issues).toEqual([
      {
        path: 'playbooks.0.steps.2.url',
        message:
          'expected https (plain http only to a loopback host: 127.0.0.0/8, ::1 or localhost)',
      },
    ]);
    expect(error.message).not.toContain(TOKEN);
  });
  it('are checked strictly: a misspelt key is an unknown field, not a step without a URL', async () => {
    const misspelt = playbook('https://hooks.example.com/x').replace('url:', 'ulr:');
    await expect(loadPlaybooks(await file(misspelt))).rejects.toThrow(
      /playbooks\.0\.steps\.2\.ulr: unknown field/,
    );
  });
});

describe('step destinations', () => {
  const playbook = (...destinations: string[]) =>
    [
      'playbooks:',
      '  - name: cooling',
      '    when: { triggers: [threshold] }',
      '    steps:',
      ...destinations.map((fields) => `      - { kind: notify, message: Check in., ${fields} }`),
    ].join('\n');

  it('are kept by the worker, by step; the workflows never see them', async () => {
    const { playbooks, steps } = await loadPlaybooks(
      await file(
        playbook(
          'destination: slack:cs-team',
          'destination: email:cs_leads',
          'destination: webhook',
        ),
      ),
    );
    expect(playbooks[0]?.steps).toEqual(
      Array.from({ length: 3 }, () => ({ kind: 'notify', message: 'Check in.' })),
    );
    expect(steps.get('cooling')).toEqual(
      new Map([
        [0, { kind: 'slack', name: 'cs-team' }],
        [1, { kind: 'email', name: 'cs_leads' }],
        [2, { kind: 'webhook' }],
      ]),
    );
  });

  it('are refused when unknown, misnamed, or given with a URL, each by its path', async () => {
    const error = await loadPlaybooks(
      await file(
        playbook(
          'destination: sms:cs-team',
          'destination: slack:CS Team',
          'destination: slack:cs-team, url: "https://hooks.example.com/x"',
        ),
      ),
    ).catch((caught: unknown) => caught);
    if (!(error instanceof PlaybooksError))
      throw new Error(`expected PlaybooksError: ${String(error)}`);
    expect(error.issues).toEqual([
      {
        path: 'playbooks.0.steps.0.destination',
        message: 'expected webhook, slack:<name> or email:<name>',
      },
      {
        path: 'playbooks.0.steps.1.destination.name',
        message: 'expected a lowercase name such as cs-team',
      },
      { path: 'playbooks.0.steps.2.url', message: 'give a destination or a url, not both' },
    ]);
  });
});

describe('engagementSettings', () => {
  it('maps the configuration onto the workflow settings', async () => {
    const config = loadConfig({ RAPPORT_SLA: 'default=2h,chat=5m', RAPPORT_DROP_THRESHOLD: '35' });
    const { playbooks } = await loadPlaybooks(DEFAULT_PLAYBOOKS_FILE);
    const settings = engagementSettings(config, playbooks);
    expect(settings).toMatchObject({
      sla: { defaultMs: 7_200_000, byChannel: { chat: 300_000 } },
      dropThreshold: 35,
      relativeDrop: { share: 0.5, windowMs: 30 * 86_400_000 },
      followUpCooldownMs: 14 * 86_400_000,
      lateArrivalGraceMs: 60_000,
    });
    expect(settings.playbooks.map((playbook) => playbook.name)).toEqual([
      'trust-breach',
      'win-back',
      'silent-onboarding',
      'cooling-active',
    ]);
  });
});
