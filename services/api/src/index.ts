export { buildApi, type Api, type ApiDeps } from './app.js';
export { startApi, type StartedApi } from './start.js';
export { openApiDocument } from './openapi.js';
export { CATCH_UP_LIMIT } from './feed.js';
