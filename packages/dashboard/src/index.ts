export { loadDashboard, type Asset } from './assets.js';
export { ASSETS_DIR } from './paths.js';
