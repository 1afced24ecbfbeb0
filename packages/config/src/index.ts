export {
  configSchema,
  DurationSchema,
  loadConfig,
  ConfigError,
  ENV_PREFIX,
  type Config,
  type ConfigIssue,
  type Env,
} from './config';
