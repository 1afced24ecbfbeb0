/**
 * The read key, entered once and kept for the browser tab's session: in sessionStorage, never in
 * the URL (which ends up in histories, logs and Referer headers) and never in localStorage (which
 * outlives the session).
 */
const KEY = 'rapport.readKey';

/**
 * Storage can be refused (disabled by policy, or full): the page then asks for the key again on
 * each load instead of failing to start.
 */
const attempt = <T>(act: () => T, otherwise: T): T => {
  try {
    return act();
  } catch {
    return otherwise;
  }
};

export const storedKey = (): string | null => attempt(() => sessionStorage.getItem(KEY), null);
export const storeKey = (key: string): void =>
  attempt(() => sessionStorage.setItem(KEY, key), undefined);
export const forgetKey = (): void => attempt(() => sessionStorage.removeItem(KEY), undefined);
