import { execFile } from 'node:child_process';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; rejects with its output when it fails or exceeds the timeout. */
export function run(
  command: string,
  args: readonly string[],
  options: {
    readonly timeoutMs?: number;
    readonly cwd?: string;
    readonly env?: NodeJS.ProcessEnv;
  } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(options.env === undefined ? {} : { env: options.env }),
      },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stderr}\n${stdout}`.trim().split('\n').slice(-15).join('\n');
          reject(
            new Error(`\`${[command, ...args].join(' ')}\` failed: ${error.message}\n${output}`),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** True when `command` is on PATH. */
export async function onPath(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`], { timeoutMs: 5_000 });
    return true;
  } catch {
    return false;
  }
}
