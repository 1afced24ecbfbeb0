export { startProjector, type StartedProjector } from './start';
export { Follower } from './follower';
