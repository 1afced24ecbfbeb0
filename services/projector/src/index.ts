export { startProjector, type StartedProjector } from './start.js';
export { Follower } from './follower.js';
