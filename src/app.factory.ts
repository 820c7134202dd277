import { INestApplication, Logger, LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { NestFactory } from '@nestjs/core';
import helmet from '@fastify/helmet';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ErrorBody } from './common/error-body.dto';
import { dirname, join } from 'node:path';
import { AppModule } from './app.module';
import { Clock, SystemClock } from './common/clock';
import { ClockGuard } from './common/clock-guard.service';
import { Lifecycle } from './common/lifecycle';
import { Metrics } from './common/metrics';
import { createPino, LogDestination, PinoLoggerService, requestIdOf } from './common/logging';
import { stopAllWorkerLoops } from './common/worker-loop';
import { HttpErrorFilter } from './common/http-error.filter';
import { SafeInputPipe } from './common/safe-input';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { DevMailCatcher } from './dev-mail/dev-mail-catcher';
import { migrateLocked } from './database/migrate';
import { DemoSeedService } from './scheduling/demo-seed.service';
import { MxResolver } from './mail-delivery/provider-families';
import { generatePassword } from './staff/passwords';
import { StaffService } from './staff/staff.service';

export interface RunningApp {
  app: NestFastifyApplication;
  url: string;
  databaseUrl: string;
  catcher?: DevMailCatcher;
  /**
   * Readiness 503 at once, no new work claimed, the running rounds end (the dispatcher sends and
   * records what it holds), then the HTTP server, the SMTP pools, the database pool and last the
   * embedded database close. main.ts calls it on SIGTERM; tests call it to end their app.
   */
  close(): Promise<void>;
}

export interface CreateAppOptions {
  clock?: Clock;
  logger?: LoggerService | false;
  /** Where pino writes (default stdout); set, the app logs through pino there whatever `logger` says (the log-privacy test). */
  logDestination?: LogDestination;
  /** Overrides DATABASE_URL / the embedded database (tests pass their own database). */
  databaseUrl?: string;
  listen?: boolean;
  mxResolver?: MxResolver;
  /** Default: on with the system clock, off with a clock the caller injects (tests move theirs). */
  clockGuard?: boolean;
}

export const BODY_LIMIT_BYTES = 64 * 1024;

export async function resolveDatabase(
  config: AppConfig,
  log?: (line: string) => void,
  opts: { ownSignals?: boolean } = {},
): Promise<EmbeddedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  return startEmbeddedPostgres({
    dataDir: join(config.dataDir, 'postgres'),
    port: config.embeddedPgPort,
    database: 'holdfast',
    log,
    ownSignals: opts.ownSignals,
  });
}

/** The JSON API's CSP: it serves no documents, so nothing may load from its answers. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** Swagger UI (with SWAGGER_UI): its bundle from this server, and the inline styles it sets. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export async function configureHttp(
  app: NestFastifyApplication,
  config: Pick<AppConfig, 'swaggerUi' | 'publicBaseUrl'> = { swaggerUi: true, publicBaseUrl: 'http://localhost' },
  accessLog?: Pino,
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // Helmet's headers on every answer (nosniff, frame and referrer policies, cross-origin policies),
  // HSTS only where citizens reach us over https. The pages set their own CSP (web/layout.ts),
  // which replaces this one; Swagger UI gets the one it needs.
  await app.register(helmet as never, {
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(API_CSP) },
    strictTransportSecurity: config.publicBaseUrl.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
  });
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url === '/api/docs' || request.url.startsWith('/api/docs/')) reply.header('content-security-policy', DOCS_CSP);
  });
  // The request id (from X-Request-Id or made, genReqId) goes back in a header, on every answer.
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
  });
  // One access line per request: the route's pattern, never the URL (paths and queries carry ids and tokens).
  const metrics = app.get(Metrics);
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? '(no route)';
    metrics.httpDuration.observe(
      { method: request.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` },
      reply.elapsedTime / 1000,
    );
    accessLog?.info(
      {
        reqId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
  // JSON for the API, form posts for the confirm page; anything else is 415, not a string body.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  // Unsafe characters and absurd nesting first: they would reach class-transformer or PostgreSQL.
  app.useGlobalPipes(new SafeInputPipe(), createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  // KERN UX's CSS and fonts, from the installed package: no CDN.
  app.useStaticAssets({
    root: dirname(require.resolve('@kern-ux/native/dist/kern.min.css')),
    prefix: '/assets/kern/',
    decorateReply: false,
    maxAge: '1d',
  });
  // ALTCHA's widget (its CSP-friendly build, worker and translations), from the installed package.
  app.useStaticAssets({
    root: join(dirname(require.resolve('altcha')), '..'), // dist/main/altcha.umd.cjs -> dist
    prefix: '/assets/altcha/',
    decorateReply: false,
    maxAge: '1d',
  });
  if (config.swaggerUi)
    SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'api/docs/openapi.json' });
}

/**
 * The OpenAPI document of every controller (served at /api/docs with SWAGGER_UI), with the error
 * body on every operation: as `default` and on every declared 4xx/5xx (HTML for the pages).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('holdfast API')
      .setDescription(
        'Appointment booking for city offices that does not lose bookings when confirmation mail fails. Errors: `{ "error": { "code", "message", "details"?, "requestId" } }` (ErrorBody).',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
    { extraModels: [ErrorBody] },
  );
  const errorJson = { 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } };
  const errorPage = {
    'text/html': { schema: { type: 'string', description: 'The error as a page: what happened, and the request id' } },
  };
  for (const operations of Object.values(document.paths))
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const operation = operations[method];
      if (!operation) continue;
      const success = Object.entries(operation.responses).find(([code]) => /^[23]/.test(code))?.[1] as ResponseObject | undefined;
      const html = !!success?.content?.['text/html'];
      const content = html ? errorPage : errorJson;
      for (const [code, response] of Object.entries(operation.responses) as Array<[string, ResponseObject]>)
        if (/^[45]/.test(code) && !response.content) response.content = content;
      operation.responses.default ??= {
        description: 'Any other failure, with its stable code (README, "API overview")',
        content,
      };
    }
  return document;
}

/** "a 'x'; b 'y'" as helmet's `{ a: ["'x'"], b: ["'y'"] }`. */
function cspDirectives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

/** Builds (and by default starts) the whole application: database, mail, HTTP. */
export async function createApp(config: AppConfig, opts: CreateAppOptions = {}): Promise<RunningApp> {
  const pino = opts.logDestination || opts.logger === undefined ? createPino(config, opts.logDestination) : undefined;
  const logger = pino ? new PinoLoggerService(pino) : opts.logger!;
  const log = new Logger('Bootstrap');
  // The app stops its embedded database itself, last (close()), not on the package's own signal handlers.
  const database = opts.databaseUrl
    ? { url: opts.databaseUrl, stop: async () => undefined }
    : await resolveDatabase(config, undefined, { ownSignals: true });
  try {
    // The migration holds a session-level advisory lock: DATABASE_MIGRATION_URL connects past a transaction pooler.
    // MIGRATE_ON_START=false: a job of its own (`npm run migration:run`) migrated before.
    if (config.migrateOnStart) await migrateLocked(config.databaseMigrationUrl ?? database.url);
  } catch (err) {
    await database.stop();
    throw err;
  }
  let catcher: DevMailCatcher | undefined;
  let devSmtpUrl: string | undefined;
  if (config.devMail) {
    catcher = new DevMailCatcher();
    devSmtpUrl = await catcher.start(config.devSmtpPort);
  }
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      config,
      databaseUrl: database.url,
      clock: opts.clock ?? new SystemClock(),
      devMail: catcher && devSmtpUrl ? { catcher, url: devSmtpUrl } : undefined,
      mxResolver: opts.mxResolver,
      clockGuard: opts.clockGuard ?? !opts.clock,
    }),
    // A hop count is valid for Fastify (the n-th hop is trusted) though its adapter's type leaves numbers out.
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      trustProxy: config.trustProxy as boolean | string | string[],
      // The whole request within this (slow senders), and an answer within it (503 REQUEST_TIMEOUT).
      requestTimeout: config.requestTimeoutMs,
      handlerTimeout: config.requestTimeoutMs,
      // The proxy's X-Request-Id when it sends a sane one, else a new UUID.
      genReqId: (request: { headers: Record<string, string | string[] | undefined> }) =>
        requestIdOf(request.headers['x-request-id']),
    } as ConstructorParameters<typeof FastifyAdapter>[0]),
    { logger: logger === false ? false : logger, abortOnError: false, rawBody: true },
  );
  await configureHttp(app, config, pino?.child({ context: 'http' }));
  // No enableShutdownHooks(): main.ts handles SIGTERM and SIGINT itself and calls close(), in order.
  try {
    // Before any loop starts: a server whose clock disagrees with the database's does not run.
    await app.get(ClockGuard).assertInSync();
    await app.init();
  } catch (err) {
    await app.close();
    await catcher?.stop();
    await database.stop();
    throw err;
  }

  if (config.seedDemo) {
    const seed = app.get(DemoSeedService);
    if (await seed.isEmpty()) await seed.seed(config.slotHorizonDays);
  }
  // Development mode only: production has no development mail (loadConfig refused it), hence no dev admin.
  if (config.devMail && !config.production) await createDevAdmin(app, log);

  let url = '';
  if (opts.listen !== false) {
    await app.listen(config.port, config.host);
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  }
  return {
    app,
    url,
    databaseUrl: database.url,
    catcher,
    close: async () => {
      app.get(Lifecycle).beginDrain();
      // Every loop at once, so none claims new work while another finishes its round.
      await stopAllWorkerLoops();
      // Nest: onModuleDestroy (loops, already stopped), beforeApplicationShutdown (SMTP pools),
      // the HTTP server, onApplicationShutdown (the bounce listener, the database pool).
      await app.close();
      await catcher?.stop();
      await database.stop();
    },
  };
}

/** Development mode only: an admin account on first start, its password printed once. */
async function createDevAdmin(app: INestApplication, log: Logger): Promise<void> {
  const staff = app.get(StaffService);
  if ((await staff.count()) > 0) return;
  const password = generatePassword();
  await staff.create(
    { email: 'admin@holdfast.localhost', displayName: 'Dev Admin', role: 'admin', password },
    { id: null, label: 'system:dev-setup' },
  );
  log.log(`development admin created: admin@holdfast.localhost / ${password} (shown once)`);
}
