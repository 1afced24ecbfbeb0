export {
  createKafka,
  type CreateKafkaOptions,
  type KafkaConfig,
  type RapportKafka,
} from './client.js';
export { kafkaSecurity } from './security.js';
export {
  BATCH_RETRY,
  type BatchRetry,
  type ConsumedBatch,
  type DeadLetterTarget,
} from './batch.js';
export { runBatchConsumer, type BatchConsumerOptions, type RunningConsumer } from './consumer.js';
export { sharedProbe } from './shared-probe.js';
export type { PartitionWait } from './stalls.js';
export { DeadLetterSchema, type DeadLetter } from './dead-letter.js';
export {
  KafkaError,
  KafkaPublishError,
  KafkaTopicMismatchError,
  KafkaUnavailableError,
  type KafkaErrorCode,
} from './errors.js';
export type { KafkaLogger, KafkaLogLevel } from './logger.js';
export {
  createInteractionProducer,
  type InteractionProducer,
  type PublishOptions,
} from './producer.js';
export { readTopic, type ReadTopicOptions } from './read-topic.js';
export { parseRecord, type ConsumedRecord, type ParsedRecord } from './records.js';
export { provisionTopics, type ProvisionedTopics } from './topics.js';
