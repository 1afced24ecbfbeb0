/** Appends, dropping the oldest items beyond `limit`: what a snapshot carries stays bounded. */
export function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}
