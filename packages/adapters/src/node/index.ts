/**
 * What the gateway and the `rapport` command both need beside the pure adapters: webhook
 * signatures (node:crypto) and the mapping files of a configuration (node:fs). A separate entry,
 * `@rapport/adapters/node`, so the package's main entry stays free of Node built-ins.
 */
export { channelAdapters } from './mapping-files.js';
export { signatureHeader, signatureMatches } from './signature.js';
