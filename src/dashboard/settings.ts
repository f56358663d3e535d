/** Where the dashboard reads from: the API, its key and the namespace. */
export interface Settings {
  api: string;
  key: string;
  namespace: string;
}

// Per page and embedded API: two dashboard files opened in one tab keep their own settings.
let sessionKey = 'abtest-dashboard';

/**
 * The settings of this page: the query string, else this tab's session, else what
 * `abtest dashboard` embedded. A key in the query string moves to the session and leaves the URL.
 */
export function readSettings(): Settings {
  const query = new URLSearchParams(location.search);
  let embedded: Partial<Settings> = {};
  try {
    embedded = JSON.parse(document.getElementById('abtest-config')?.textContent || '{}');
  } catch {
    // a hand-edited page with a broken config: start from the form
  }
  sessionKey = `abtest-dashboard ${location.pathname} ${embedded.api ?? ''}`;
  let session: Partial<Settings> = {};
  try {
    session = JSON.parse(sessionStorage.getItem(sessionKey) || '{}');
  } catch {
    // no sessionStorage (file:// in some browsers, privacy settings): keep it in memory only
  }
  const pick = (name: keyof Settings, param: string) => query.get(param) ?? session[name] ?? embedded[name] ?? '';
  const settings = { api: pick('api', 'url'), key: pick('key', 'key'), namespace: pick('namespace', 'namespace') };
  if (query.has('key')) {
    query.delete('key');
    const rest = query.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
  }
  return settings;
}

/** Keeps the settings in this tab's session; the namespace also in the URL (never the key). */
export function saveSettings(s: Settings) {
  try {
    sessionStorage.setItem(sessionKey, JSON.stringify(s));
  } catch {
    // kept in memory for this page
  }
  const query = new URLSearchParams(location.search);
  if (s.namespace) query.set('namespace', s.namespace);
  else query.delete('namespace');
  const rest = query.toString();
  history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
}
