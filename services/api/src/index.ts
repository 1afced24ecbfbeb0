export { buildApi, type Api, type ApiDeps } from './app';
export { startApi, type StartedApi } from './start';
export { openApiDocument } from './openapi';
export { CATCH_UP_LIMIT } from './feed';
