import { http, startTestApp, TestApp } from './support/test-app';

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

  it('refers only to schemas it defines', () => {
    const refs = [...JSON.stringify(doc.paths).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    const nested = [...JSON.stringify(doc.components).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect([...new Set([...refs, ...nested])].filter((name) => !doc.components.schemas[name])).toEqual([]);
  });
});
