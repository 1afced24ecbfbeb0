import { useEffect, useState } from 'preact/hooks';

/** The page shown: the overview, or one customer. Only ids go in the URL, never the key. */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'customer'; readonly id: string };

export function parseRoute(hash: string): Route {
  const match = /^#\/customers\/(.+)$/.exec(hash);
  if (match?.[1] !== undefined) {
    try {
      return { page: 'customer', id: decodeURIComponent(match[1]) };
    } catch {
      return { page: 'overview' };
    }
  }
  return { page: 'overview' };
}

export const customerHref = (id: string) => `#/customers/${encodeURIComponent(id)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
