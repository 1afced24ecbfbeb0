export { InfraError, type InfraErrorCode } from './errors.js';
export { run } from './exec.js';
export { archiveKafkaClasses } from './kafka-classes.js';
export { fetchAll } from './fetch-all.js';
export {
  fetchTemporal,
  fetchVegeta,
  fetchSchemathesis,
  ensureChromium,
  ensureRedisServer,
  cachedPaths,
  type CachedBinaries,
} from './fetch.js';
export {
  spawnDetached,
  stopProcess,
  runningProcess,
  readRecord,
  isOurs,
  tailOf,
  type ProcessRecord,
} from './process.js';
export {
  ensureRunning,
  provideInfrastructure,
  stopInfrastructure,
  inspectInfrastructure,
  type Infrastructure,
  type ServiceStatus,
  type ServiceHealth,
  type ProvideOptions,
  type Mode,
} from './provide.js';
export { probeRedis, probeTemporal } from './probes.js';
export {
  startRedisCluster,
  type RedisClusterOptions,
  type RedisClusterRun,
} from './redis-cluster.js';
export {
  infraServices,
  kafkaBroker,
  kafkaNodeName,
  type KafkaBrokerOptions,
  type ManagedProcess,
  type Profile,
  type ServiceName,
} from './services.js';
export { dockerEngineAnswers, composeFile } from './compose.js';
export { VERSIONS } from './versions.js';
