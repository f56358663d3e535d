/**
 * The `scheme://userinfo@` start of a URL anywhere in a text. The user info runs to the last
 * `@` before a quote, a line end or the next URL, so that an unparsable URL (a password with a
 * space or an unencoded `/`) is hidden too: hiding too much is the safe side.
 */
const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)((?:(?!:\/\/)[^"'<>\r\n])*)@/gi;

/**
 * Hides the password of every URL in a text (`redis://user:pw@host` → `redis://user:***@host`;
 * a lone `redis://pw@host`, which Redis clients read as a password, → `redis://***@host`).
 * Works on a bare URL or on a whole message that quotes one.
 */
export function redactUrl(text: string): string {
  return text.replace(CREDENTIALS, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? '' : userinfo.slice(0, colon);
    return /^[\w.-]*$/.test(user) && colon >= 0 ? `${scheme}${user}:***@` : `${scheme}***@`;
  });
}
