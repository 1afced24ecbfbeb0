export {
  configSchema,
  DurationSchema,
  loadConfig,
  ConfigError,
  ENV_PREFIX,
  KEY_CLASSES,
  KEY_VARIABLES,
  MAX_EMBEDDED_KAFKA_BROKERS,
  MAX_INDEX_SHARDS,
  MIN_KEY_LENGTH,
  SECRET_VARIABLES,
  type KeyClass,
  type Config,
  type ConfigIssue,
  type Env,
} from './config.js';
export {
  DestinationNameSchema,
  type DestinationSettings,
  type SmtpSettings,
} from './destinations.js';
export { redactUrl, WebhookUrlSchema } from './webhook-url.js';
export { maskPassword } from './mask-password.js';
export { loadModelParams, ModelFileError } from './model-file.js';
export { readYamlFile } from './yaml-file.js';
