/** The routes an API URL may be given as, besides its base. */
const ROUTE = /\/(track|experiments|delete)$/;

/**
 * The API's base URL from a URL given as the base itself or as one of its routes (`/track`,
 * `/experiments`, `/delete`): no query, no hash, no trailing slash. A relative `text` resolves
 * against `page` (the dashboard resolves against its own address; an empty text is the page's
 * origin). Pure, browser-safe: the CLI and the dashboard page both normalise with it.
 * @throws TypeError when `text` is not a URL (nor one relative to `page`)
 */
export function apiBase(text: string, page?: string): string {
  const url = new URL(text.trim() || '/', page);
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/+$/, '').replace(ROUTE, '');
}
