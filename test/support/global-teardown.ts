import { adminQuery, ADMIN_URL_ENV, TEMPLATE_ENV } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const pg = (globalThis as { __holdfastPg?: { stop(): Promise<void> } }).__holdfastPg;
  if (pg) {
    await pg.stop();
    return;
  }
  // An external server (DATABASE_URL): test files drop their own databases; drop the template.
  const adminUrl = process.env[ADMIN_URL_ENV];
  const template = process.env[TEMPLATE_ENV];
  if (adminUrl && template) await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
}
