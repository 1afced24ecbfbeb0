import { afterEach, describe, expect, it, vi } from 'vitest';
import { followupCommand, shellWord } from './followup.js';

/** The command run in this process, as `rapport followup …`: its exit code and what it printed. */
async function followup(...args: string[]) {
  const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const output = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const code = await followupCommand.main(args);
  const text = (spy: typeof errors) => spy.mock.calls.map((call) => call.join(' ')).join('\n');
  return { code, stderr: text(errors), stdout: text(output) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('rapport followup', () => {
  it('takes `start` and one customer id, and prints its usage otherwise', async () => {
    for (const args of [[], ['start'], ['start', 'c-1', 'c-2'], ['c-1']]) {
      const { code, stderr } = await followup(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain('rapport followup: give <action (start)> <customer id>');
      expect(stderr).toContain('Usage: rapport followup start <customer id>');
    }
    const unknown = await followup('stop', 'c-1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown action "stop"');
  });

  it('refuses a playbook name the API would refuse, before asking it', async () => {
    for (const name of ['Win Back', 'win_back', '-win', '']) {
      const { code, stderr } = await followup('start', 'c-1', `--playbook=${name}`);
      expect(code, name).toBe(2);
      expect(stderr).toContain('--playbook: expected a playbook name such as "win-back"');
    }
  });

  it('documents its admin key and where the outcome shows', async () => {
    const { code, stdout } = await followup('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/--key KEY +admin key \(default the first of RAPPORT_ADMIN_KEYS/);
    expect(stdout).toContain('rapport workflow <id>');
  });
});

describe('shellWord', () => {
  it('leaves plain ids bare and quotes the others so a shell reads them back', () => {
    expect(shellWord('c-42')).toBe('c-42');
    expect(shellWord('mail+tag@example.com')).toBe('mail+tag@example.com');
    expect(shellWord('with space')).toBe("'with space'");
    expect(shellWord("o'brien")).toBe(`'o'\\''brien'`);
  });
});
