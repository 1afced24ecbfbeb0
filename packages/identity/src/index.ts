export {
  Identities,
  identitiesOptions,
  type Edge,
  type IdentitiesOptions,
  type Person,
  type Reservation,
} from './identities.js';
