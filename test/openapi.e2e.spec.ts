import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import Ajv from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { createSlot } from './factories/scheduling.factory';
import { bookThroughApi, confirmTokenOfQueued, http, staffToken, startTestApp, TestApp } from './support/test-app';

type Schema = { $ref?: string; type?: string; items?: Schema; properties?: Record<string, Schema>; oneOf?: Schema[] };
type Response = { description?: string; content?: Record<string, { schema?: Schema }> };
type Operation = { operationId?: string; responses: Record<string, Response> };

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const ERROR_REF = '#/components/schemas/ErrorBody';

/**
 * Walks the served OpenAPI document: every operation names a typed success response (a schema,
 * not only words) and the error body for its failures; every referenced schema exists.
 */
describe('OpenAPI document', () => {
  let app: TestApp;
  let doc: {
    paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
    components: { schemas: Record<string, Schema> };
  };

  beforeAll(async () => {
    app = await startTestApp();
    const res = await http(app, 'GET', '/api/docs/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });

  afterAll(async () => {
    await app?.close();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      METHODS.filter((m) => ops[m]).map((m) => ({ name: `${m.toUpperCase()} ${path}`, op: ops[m]! })),
    );

  it('has the routes', () => {
    expect(operations().length).toBeGreaterThan(40);
  });

  it('has every route the app serves, but for the HTML pages (citizen pages and console)', () => {
    const served: string[] = [];
    const excluded: string[] = [];
    for (const module of app.app.get(ModulesContainer).values())
      for (const { metatype } of module.controllers.values()) {
        if (!metatype) continue;
        const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
        const pages = Reflect.getMetadata('swagger/apiExcludeController', metatype)?.[0] === true;
        for (const key of Object.getOwnPropertyNames(metatype.prototype)) {
          const handler: unknown = Object.getOwnPropertyDescriptor(metatype.prototype, key)?.value; // not getters
          if (key === 'constructor' || typeof handler !== 'function') continue;
          const path = Reflect.getMetadata(PATH_METADATA, handler);
          if (path === undefined) continue;
          const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
          const route = `${method} ${
            `/${base}/${path}`
              .replace(/\/+/g, '/')
              .replace(/\/$/, '')
              .replace(/:(\w+)/g, '{$1}') || '/'
          }`;
          (pages || Reflect.getMetadata('swagger/apiExcludeEndpoint', handler)?.disable ? excluded : served).push(route);
        }
      }
    const documented = operations().map(({ name }) => name);
    expect(served.length).toBeGreaterThan(40);
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
    // What the document leaves out is HTML for people, never the JSON API.
    expect(excluded.filter((route) => route.split(' ')[1].startsWith('/api/'))).toEqual([]);
  });

  it('gives every operation a success response with a schema', () => {
    const missing = operations()
      .filter(({ op }) => {
        const success = Object.entries(op.responses).filter(([code]) => /^[23]/.test(code));
        return !success.some(([, r]) => Object.values(r.content ?? {}).some((c) => c.schema && (c.schema.$ref || c.schema.type)));
      })
      .map(({ name }) => name);
    expect(missing).toEqual([]);
  });

  it('gives every operation the error body for its failures', () => {
    const missing = operations()
      .filter(({ op }) => {
        const failures = Object.entries(op.responses).filter(([code]) => code === 'default' || /^[45]/.test(code));
        if (!op.responses.default) return true;
        return failures.some(([, r]) => {
          const json = r.content?.['application/json'];
          const html = r.content?.['text/html'];
          return json ? json.schema?.$ref !== ERROR_REF : !html;
        });
      })
      .map(({ name }) => name);
    expect(missing).toEqual([]);
    expect(doc.components.schemas.ErrorBody).toBeDefined();
  });

  it('names every model class once (the document keys schemas by class name: a second OfficeDto would replace the first)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const names = files(join(__dirname, '..', 'src'))
      .map((file) => readFileSync(file, 'utf8'))
      .filter((text) => text.includes("from '@nestjs/swagger'"))
      .flatMap((text) => [...text.matchAll(/^(?:export )?class (\w+)/gm)].map((m) => m[1]));
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('refers only to schemas it defines', () => {
    const refs = [...JSON.stringify(doc.paths).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    const nested = [...JSON.stringify(doc.components).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect([...new Set([...refs, ...nested])].filter((name) => !doc.components.schemas[name])).toEqual([]);
  });

  it('describes what the routes answer: real answers validate against their schemas', async () => {
    // OpenAPI 3.0 schemas: `nullable` is understood; formats and examples are documentation here.
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const check = (schema: string, body: unknown) => {
      const validate = ajv.compile({ $ref: `doc#/components/schemas/${schema}` });
      const ok = validate(body);
      return ok ? [] : (validate.errors ?? []).map((e) => `${schema}${e.instancePath} ${e.message}`);
    };
    const { slotId } = await createSlot(app.db, { startsAt: '2026-06-03T09:00:00Z' });
    const booking = await bookThroughApi(app, slotId);
    await app.app.get(DispatcherService).dispatchOnce();
    const token = await confirmTokenOfQueued(app, booking.id);
    const admin = await staffToken(app, 'admin');
    const staff = { authorization: `Bearer ${admin}` };
    const answers: Array<[string, Promise<{ status: number; body: unknown }>]> = [
      [
        'BookingViewDto',
        http(app, 'GET', `/api/v1/bookings/${booking.id}`, { headers: { 'x-booking-token': booking.statusToken } }),
      ],
      ['ConfirmedBookingDto', http(app, 'POST', '/api/v1/confirmations', { body: { token } })],
      ['ReviewDetailDto', http(app, 'GET', `/api/v1/review/bookings/${booking.id}`, { headers: staff })],
      ['ReviewQueueDto', http(app, 'GET', '/api/v1/review/bookings', { headers: staff })],
      ['StaffPrincipalDto', http(app, 'GET', '/api/v1/auth/me', { headers: staff })],
      ['ReadinessDto', http(app, 'GET', '/health/ready')],
      ['RelayStatusDto', http(app, 'GET', '/api/v1/mail/relay', { headers: staff })],
      ['StatsDto', http(app, 'GET', '/api/v1/stats?from=2026-06-01&to=2026-06-30', { headers: staff })],
      [
        'ErrorBody',
        http(app, 'GET', '/api/v1/bookings/00000000-0000-4000-8000-000000000000', { headers: { 'x-booking-token': 'x' } }),
      ],
    ];
    const problems: string[] = [];
    for (const [schema, answer] of answers) {
      const res = await answer;
      if (schema !== 'ErrorBody') expect(`${schema} ${res.status}`).toBe(`${schema} 200`);
      problems.push(...check(schema, res.body));
    }
    const providers = await http(app, 'GET', '/api/v1/mail/providers', { headers: staff });
    for (const view of providers.body as unknown[]) problems.push(...check('ProviderViewDto', view));
    const audit = await http(app, 'GET', '/api/v1/audit', { headers: staff });
    expect((audit.body as unknown[]).length).toBeGreaterThan(0);
    for (const entry of audit.body as unknown[]) problems.push(...check('AuditEntryDto', entry));
    expect(problems).toEqual([]);
  });
});
