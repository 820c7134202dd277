import { cookie, csrfTokenOf, csrfValid, parseCookies, safeNext } from './console-session';

describe('console session helpers', () => {
  it('reads cookies, the first of a name wins, a malformed value is skipped', () => {
    expect(parseCookies('a=1; holdfast_staff=x%2By; a=2; bad=%E0%A4%A')).toEqual({ a: '1', holdfast_staff: 'x+y' });
    expect(parseCookies(undefined)).toEqual({});
  });

  it('writes HttpOnly, SameSite=Strict cookies under /verwaltung, Secure only when asked', () => {
    expect(cookie('s', 'v', { secure: false })).toBe('s=v; Path=/verwaltung; HttpOnly; SameSite=Strict');
    expect(cookie('s', 'v', { secure: true, maxAgeSeconds: 0 })).toBe(
      's=v; Path=/verwaltung; HttpOnly; Secure; SameSite=Strict; Max-Age=0',
    );
  });

  it('the form token belongs to its session', () => {
    const token = csrfTokenOf('session-a');
    expect(csrfValid('session-a', token)).toBe(true);
    expect(csrfValid('session-b', token)).toBe(false);
    expect(csrfValid('session-a', undefined)).toBe(false);
    expect(csrfValid('session-a', [token])).toBe(false);
  });

  it('returns only to console paths after sign-in', () => {
    expect(safeNext('/verwaltung/tag?date=2026-06-01')).toBe('/verwaltung/tag?date=2026-06-01');
    expect(safeNext('/verwaltung?lang=en')).toBe('/verwaltung?lang=en');
    expect(safeNext('/verwaltungx')).toBe('/verwaltung');
    expect(safeNext('//evil.example/verwaltung')).toBe('/verwaltung');
    expect(safeNext('/verwaltung//evil.example')).toBe('/verwaltung');
    expect(safeNext('https://evil.example')).toBe('/verwaltung');
    expect(safeNext(undefined)).toBe('/verwaltung');
  });
});

describe('the language switch of a page answering a form', () => {
  it('points at the page the form belongs to', async () => {
    const { pageOfPost } = await import('./console-session');
    const id = '6f16d98e-c69d-4d5f-9e94-e1a35d7da73e';
    expect(pageOfPost(`/verwaltung/buchungen/${id}/wiederherstellen`)).toBe(`/verwaltung/buchungen/${id}`);
    expect(pageOfPost(`/verwaltung/aemter/${id}/schliessungen`)).toBe(`/verwaltung/aemter/${id}`);
    expect(pageOfPost(`/verwaltung/aemter/${id}`)).toBe(`/verwaltung/aemter/${id}`);
    expect(pageOfPost(`/verwaltung/vorfaelle/${id}/kulanz`)).toBe('/verwaltung/vorfaelle');
    expect(pageOfPost(`/verwaltung/konten/${id}/passwort`)).toBe('/verwaltung/konten');
    expect(pageOfPost('/verwaltung/anliegen')).toBe('/verwaltung/aemter');
    expect(pageOfPost('/verwaltung/anmelden')).toBe('/verwaltung/anmelden');
    expect(pageOfPost('/verwaltung/abmelden')).toBe('/verwaltung');
  });
});
