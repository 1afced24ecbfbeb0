export { InfraError, type InfraErrorCode } from './errors';
export { run } from './exec';
export {
  fetchAll,
  fetchTemporal,
  fetchVegeta,
  fetchSchemathesis,
  ensureRedisServer,
  cachedPaths,
  type CachedBinaries,
} from './fetch';
export { spawnDetached, stopProcess, runningProcess, type ProcessRecord } from './process';
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
} from './provide';
export { probeRedis, probeTemporal } from './probes';
export {
  infraServices,
  kafkaBroker,
  type KafkaBrokerOptions,
  type ManagedProcess,
  type Profile,
  type ServiceName,
} from './services';
export { dockerEngineAnswers, composeFile } from './compose';
export { VERSIONS } from './versions';
