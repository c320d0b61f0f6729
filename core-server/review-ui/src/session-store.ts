// The user bearer lives in sessionStorage: it survives a reload of the tab but not the tab
// itself, and is never written to localStorage or a cookie.
const KEY = 'retaia.review.token';

export const sessionStore = {
  get(): string | null {
    return sessionStorage.getItem(KEY);
  },
  set(token: string): void {
    sessionStorage.setItem(KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};
