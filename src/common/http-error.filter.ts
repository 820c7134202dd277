import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { databaseUnavailable } from '../database/database-errors';
import { DomainError, ErrorCode } from './domain-error';

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): void;
}

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'MALFORMED_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** What a client should wait before retrying while the database is away. */
const RETRY_AFTER_SECONDS = 5;

/**
 * One place that turns every failure into `{ error: { code, message, details? } }`.
 * Domain errors keep their code; framework and body-parser errors get a stable code by
 * status; anything else is an INTERNAL 500 with a request id, its internals only in the log.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');
  private readonly unavailable = new ThrottledWarning(this.logger, 'database unavailable');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const request = host.switchToHttp().getRequest<{ id?: string } | undefined>();
    const { status, body, headers } = this.toResponse(exception, request?.id);
    for (const [name, value] of Object.entries(headers ?? {})) reply.header(name, value);
    reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  /** `requestId`: the request's id (X-Request-Id, from the proxy or made), in every error body. */
  toResponse(
    exception: unknown,
    requestId?: string,
  ): {
    status: number;
    body: { error: { code: string; message: string; details?: unknown; requestId?: string } };
    headers?: Record<string, string>;
  } {
    const response = this.responseOf(exception, requestId ?? randomUUID());
    if (requestId) response.body.error.requestId = requestId;
    return response;
  }

  private responseOf(
    exception: unknown,
    requestId: string,
  ): {
    status: number;
    body: { error: { code: string; message: string; details?: unknown; requestId?: string } };
    headers?: Record<string, string>;
  } {
    if (exception instanceof DomainError) {
      return {
        status: exception.status,
        headers: exception.headers,
        body: {
          error: {
            code: exception.code,
            message: exception.message,
            ...(exception.details !== undefined ? { details: exception.details } : {}),
          },
        },
      };
    }
    if (databaseUnavailable(exception)) {
      // Nothing was written (the transaction rolled back, or its commit is refused); a retry is safe.
      this.unavailable.note(exception instanceof Error ? exception.message : String(exception));
      return {
        status: 503,
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
        body: {
          error: {
            code: 'DATABASE_UNAVAILABLE',
            message: 'The database is not reachable at the moment; nothing was saved. Please try again in a few seconds.',
          },
        },
      };
    }
    if ((exception as { code?: unknown })?.code === 'FST_ERR_HANDLER_TIMEOUT') {
      return {
        status: 503,
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
        body: { error: { code: 'REQUEST_TIMEOUT', message: 'The request took too long and was abandoned. Please try again.' } },
      };
    }
    const status = httpStatusOf(exception);
    if (status !== undefined && status >= 400 && status < 500) {
      const code = HTTP_STATUS_CODES[status] ?? 'MALFORMED_REQUEST';
      return { status, body: { error: { code, message: clientMessage(exception, status) } } };
    }
    this.logger.error(`request ${requestId} failed: ${exception instanceof Error ? exception.stack : String(exception)}`);
    return {
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal error. Please quote the request id when reporting it.', requestId } },
    };
  }
}

function httpStatusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  // Fastify's own errors (bad JSON, body too large, wrong content type) carry statusCode.
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

function clientMessage(exception: unknown, status: number): string {
  if (status === 404) return 'No such resource.';
  if (status === 413) return 'The request body is too large.';
  if (status === 415) return 'Unsupported content type; send application/json.';
  const message = exception instanceof Error ? exception.message : '';
  if (/JSON/i.test(message)) return 'The request body is not valid JSON.';
  return message && message.length < 200 ? message : 'The request is malformed.';
}

/** A warning that repeats on every request during an outage, logged at most every 10 s with a count. */
class ThrottledWarning {
  private static readonly EVERY_MS = 10_000;
  private lastAt = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  note(detail: string): void {
    const now = Date.now();
    if (now - this.lastAt < ThrottledWarning.EVERY_MS) {
      this.suppressed += 1;
      return;
    }
    const more = this.suppressed > 0 ? ` (and ${this.suppressed} more since the last line)` : '';
    this.logger.warn(`${this.what}: ${detail}${more}`);
    this.lastAt = now;
    this.suppressed = 0;
  }
}
