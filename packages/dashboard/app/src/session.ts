/**
 * The read key, entered once and kept for the browser tab's session: in sessionStorage, never in
 * the URL (which ends up in histories, logs and Referer headers) and never in localStorage (which
 * outlives the session).
 */
const KEY = 'rapport.readKey';

export const storedKey = (): string | null => sessionStorage.getItem(KEY);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY);
