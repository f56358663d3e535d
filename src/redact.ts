/**
 * A URL fit for a message or a log: its password (and a user's secret) replaced by `***`.
 * Text that is not a URL is shortened to its scheme so that nothing secret slips through.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0];
    return scheme ? `${scheme}…` : '(not a URL)';
  }
  if (url.password) url.password = '***';
  return url.toString();
}
