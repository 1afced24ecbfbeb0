import { fileURLToPath } from 'node:url';

/** Where the browser app's sources live, and where the build puts what the query API serves. */
export const APP_SOURCE_DIR = fileURLToPath(new URL('../app/', import.meta.url));
export const ASSETS_DIR = fileURLToPath(new URL('../dist/app/', import.meta.url));
