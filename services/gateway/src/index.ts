export { buildGateway, type GatewayDeps, type GatewayPublisher } from './app';
export { startGateway, type StartedGateway } from './start';
export { channelAdapters } from './mappings';
export { signatureHeader, signatureMatches, type SignatureSpec } from './signature';
export { openApiDocument } from './openapi';
