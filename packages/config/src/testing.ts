import { ConfigError, loadConfig, type Env } from './config.js';

/** The message loadConfig refuses `env` with (every issue, one a line): for tests. */
export function refusal(env: Env): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}
