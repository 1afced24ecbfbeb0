import type { Config } from '@rapport/config';
import type { KafkaConfig as KafkajsConfig, SASLOptions } from 'kafkajs';

/**
 * kafkajs's `ssl` and `sasl` options for the configured cluster: TLS (trusting the configured CA,
 * presenting the client certificate) and SASL. Every kafkajs client of Rapport takes them from
 * here, createKafka's and the health probe's alike.
 */
export function kafkaSecurity({
  tls,
  sasl,
}: Pick<Config['kafka'], 'tls' | 'sasl'>): Pick<KafkajsConfig, 'ssl' | 'sasl'> {
  // Typed as kafkajs's union of mechanisms, each of which takes a username and password.
  const credentials: SASLOptions | undefined = sasl;
  return {
    ...(tls && { ssl: { ...(tls.ca && { ca: tls.ca }), ...tls.client } }),
    ...(credentials && { sasl: credentials }),
  };
}
