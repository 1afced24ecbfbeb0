export { buildGateway, type GatewayDeps, type GatewayPublisher } from './app';
export { startGateway, type StartedGateway } from './start';
export { LIMITS } from './limits';
export { openApiDocument } from './openapi';
