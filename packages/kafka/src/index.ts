export {
  createKafka,
  type CreateKafkaOptions,
  type KafkaConfig,
  type RapportKafka,
} from './client';
export { kafkaSecurity } from './security';
export {
  runBatchConsumer,
  type BatchConsumerOptions,
  type ConsumedBatch,
  type DeadLetterTarget,
  type RunningConsumer,
} from './consumer';
export { DeadLetterSchema, type DeadLetter } from './dead-letter';
export {
  KafkaError,
  KafkaPublishError,
  KafkaUnavailableError,
  type KafkaErrorCode,
} from './errors';
export type { KafkaLogger, KafkaLogLevel } from './logger';
export {
  createInteractionProducer,
  type InteractionProducer,
  type PublishOptions,
} from './producer';
export { readTopic, type ReadTopicOptions } from './read-topic';
export { parseRecord, type ConsumedRecord, type ParsedRecord } from './records';
export { provisionTopics, type ProvisionedTopics } from './topics';
