import { http, HttpResult, TestApp } from './test-app';

/** A browser-like client of the console over plain HTTP: keeps its cookies, posts forms. */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();

  constructor(private readonly app: { url: string }) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: HttpResult): HttpResult {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attrs.some((a) => /max-age=0/i.test(a.trim())) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(path: string): Promise<HttpResult> {
    return this.keep(await http(this.app, 'GET', path, { headers: { cookie: this.cookieHeader } }));
  }

  async post(path: string, fields: Record<string, string | string[]>): Promise<HttpResult> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.keep(
      await http(this.app, 'POST', path, {
        raw: body.toString(),
        headers: { cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
  }

  /** The form token of the page at `path` (the first hidden _csrf field). */
  async csrf(path = '/verwaltung'): Promise<string> {
    const page = await this.get(path);
    const match = /name="_csrf" value="([^"]*)"/.exec(page.text);
    if (!match) throw new Error(`no form token on ${path}: ${page.status}`);
    return match[1];
  }

  /** Signs in through the form (expects the redirect). */
  async signIn(email: string, password: string): Promise<HttpResult> {
    const token = await this.csrf('/verwaltung/anmelden');
    const res = await this.post('/verwaltung/anmelden', { _csrf: token, email, password, weiter: '/verwaltung' });
    if (res.status !== 303) throw new Error(`sign-in failed: ${res.status} ${res.text.slice(0, 500)}`);
    return res;
  }

  /** Posts a console form with this session's token. */
  async submit(path: string, fields: Record<string, string | string[]>, tokenFrom = '/verwaltung'): Promise<HttpResult> {
    return this.post(path, { _csrf: await this.csrf(tokenFrom), ...fields });
  }
}

/** A staff account of this role with a known password (created directly). */
export async function staffAccount(
  app: TestApp,
  role: 'clerk' | 'supervisor' | 'admin',
  opts: { email?: string; locationIds?: string[] } = {},
) {
  const { StaffService } = await import('../../src/staff/staff.service');
  const email = opts.email ?? `${role}-${Date.now()}-${Math.round(Math.random() * 1e6)}@console.example`;
  const password = `${role}-console-password`;
  const created = await app.app
    .get(StaffService)
    .create({ email, role, password, displayName: `Test ${role}`, locationIds: opts.locationIds }, { id: null, label: 'test' });
  return { id: created.id, email, password };
}

/** A console client signed in as a new account of this role. */
export async function signedIn(app: TestApp, role: 'clerk' | 'supervisor' | 'admin', opts: { locationIds?: string[] } = {}) {
  const account = await staffAccount(app, role, opts);
  const client = new ConsoleClient(app);
  await client.signIn(account.email, account.password);
  return { client, account };
}
