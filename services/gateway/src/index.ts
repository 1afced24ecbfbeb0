export { buildGateway, type GatewayDeps, type GatewayPublisher } from './app.js';
export { startGateway, type StartedGateway } from './start.js';
export { channelAdapters } from './mappings.js';
export { signatureHeader, signatureMatches, type SignatureSpec } from './signature.js';
export { openApiDocument } from './openapi.js';
