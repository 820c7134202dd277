import { hmacToken, safeEqual } from '../common/ids';

/** The console's session cookie: only under /verwaltung, never readable by scripts, never sent cross-site. */
export const SESSION_COOKIE = 'holdfast_staff';
/** Before sign-in: the sign-in form's double-submit token (login CSRF). */
export const LOGIN_COOKIE = 'holdfast_signin';
/** The console's language, once chosen with the switch. */
export const LANG_COOKIE = 'holdfast_lang';
export const CONSOLE_PATH = '/verwaltung';
/**
 * Between the start of a single sign-on and the provider's redirect back: state, nonce, PKCE
 * verifier. Lax, not Strict: the way back is a navigation from the provider's site.
 */
export const SSO_COOKIE = 'holdfast_sso';

/** The cookies of a request header (first value wins, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed value is no value.
    }
  }
  return out;
}

export function cookie(
  name: string,
  value: string,
  opts: { secure: boolean; maxAgeSeconds?: number; httpOnly?: boolean; sameSite?: 'Strict' | 'Lax' },
): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${CONSOLE_PATH}`,
    opts.httpOnly === false ? '' : 'HttpOnly',
    opts.secure ? 'Secure' : '',
    `SameSite=${opts.sameSite ?? 'Strict'}`,
    opts.maxAgeSeconds !== undefined ? `Max-Age=${opts.maxAgeSeconds}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

export const clearCookie = (name: string, secure: boolean) => cookie(name, '', { secure, maxAgeSeconds: 0 });

/**
 * The form token of a session (synchronizer pattern without storage): derived from the session's
 * secret, which only the HttpOnly cookie carries, so a page of another site can neither read nor
 * compute it. A new session at sign-in gives a new form token.
 */
export function csrfTokenOf(sessionToken: string): string {
  return hmacToken(sessionToken, 'console-form', 'v1');
}

export function csrfValid(sessionToken: string, given: unknown): boolean {
  return typeof given === 'string' && safeEqual(csrfTokenOf(sessionToken), given);
}

/** A path inside the console to return to after sign-in; anything else goes to the start page. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/verwaltung([/?][A-Za-z0-9/_\-.?=&%]*)?$/.test(value) && !value.includes('//')
    ? value
    : CONSOLE_PATH;
}

/**
 * The page a form posted to belongs to (for the language switch of a page rendered as the answer
 * to a POST: the switch is a GET link).
 */
export function pageOfPost(url: string): string {
  const path = url.split('?')[0];
  const rules: Array<[RegExp, string]> = [
    [/^(\/verwaltung\/(?:buchungen|aemter)\/[0-9a-f-]{36})\/.+$/, '$1'],
    [/^\/verwaltung\/(vorfaelle|konten|sitzungen|anbieter)(?:\/.*)?$/, '/verwaltung/$1'],
    [/^\/verwaltung\/anliegen(?:\/.*)?$/, '/verwaltung/aemter'],
    [/^\/verwaltung\/tag\/.*$/, '/verwaltung/tag'],
  ];
  for (const [from, to] of rules) if (from.test(path)) return path.replace(from, to);
  return path.startsWith('/verwaltung/anmelden') || path.startsWith('/verwaltung/aemter') ? path : '/verwaltung';
}
