import type { Components, Schema } from './components.js';
import { ErrorSchema } from '../errors.js';
import { errorResponses } from './errors.js';
import { opsPaths } from './ops.js';

export interface ServiceDocument {
  readonly title: string;
  readonly description: string;
  /** The service's own schemes; `adminKey` (for `/metrics`) is every service's. */
  readonly securitySchemes: Readonly<Record<string, Schema>>;
  /** Where the paths' schemas were registered. */
  readonly components: Components;
  /** The service's own routes; the ops routes are every service's. */
  readonly paths: Readonly<Record<string, Schema>>;
}

/** A service's OpenAPI 3.0 document: its routes, then what every service serves and answers. */
export function serviceDocument(service: ServiceDocument) {
  const { components } = service;
  components.add('Error', ErrorSchema, 'output');
  const paths = { ...service.paths, ...opsPaths(components) };
  return {
    openapi: '3.0.3',
    info: { title: service.title, version: '1', description: service.description },
    components: {
      securitySchemes: {
        ...service.securitySchemes,
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'an admin key (RAPPORT_ADMIN_KEYS)',
        },
      },
      schemas: components.schemas,
      responses: errorResponses(),
    },
    paths,
  };
}
