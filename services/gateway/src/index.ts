export { buildGateway, type GatewayDeps, type GatewayPublisher } from './app.js';
export { startGateway, type StartedGateway } from './start.js';
export { openApiDocument } from './openapi.js';
