import { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import pino, { DestinationStream, Logger as Pino } from 'pino';
import type { AppConfig } from '../config/app-config';

/** Where log lines go: stdout by default, a test's collector otherwise. */
export interface LogDestination {
  write(line: string): void;
}

/** A request id from the proxy is kept when it looks like one (no spaces, no markup, not too long). */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

/**
 * The last guard against personal data in a log line: what looks like an e-mail address, an
 * international phone number or a token parameter is replaced before the line is written. Code
 * logs ids, never these; a mail server's reply quoted in a warning may carry an address.
 */
export function scrub(text: string): string {
  return (
    text
      // Addresses at .localhost (the development admin, reserved by RFC 6761) belong to no one and stay.
      .replace(/[^\s<>"'(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/g, (a) => (/\.localhost$/i.test(a) ? a : '<address>'))
      .replace(/\+\d[\d ]{6,18}\d/g, '<phone>')
      .replace(/((?:token|code|password|secret)=)[^\s&"']+/gi, '$1<redacted>')
  );
}

/**
 * pino, one JSON object per line (LOG_FORMAT=json, the default in production), or the same
 * records as readable lines (LOG_FORMAT=log). Written synchronously: a process that exits right
 * after its last line (a failed start, the end of a shutdown) loses none.
 */
export function createPino(config: Pick<AppConfig, 'logLevel' | 'logFormat'>, destination?: LogDestination): Pino {
  const sink: DestinationStream =
    config.logFormat === 'json'
      ? (destination ?? pino.destination({ sync: true }))
      : readableLines(destination ?? process.stdout);
  return pino(
    {
      level: config.logLevel,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
    },
    sink,
  );
}

/** A record as `2026-06-01T08:00:00.000Z INFO [Context] message key=value …`. */
function readableLines(out: LogDestination): DestinationStream {
  return {
    write(line: string) {
      const { time, level, msg, context, pid: _pid, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const extra = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      out.write(
        `${String(time)} ${String(level).toUpperCase().padEnd(5)} ${context ? `[${String(context)}] ` : ''}${String(msg ?? '')}${extra ? ` ${extra}` : ''}\n`,
      );
    },
  };
}

/** Nest's Logger over pino: `new Logger('Dispatcher').warn(…)` becomes `{ level: 'warn', context: 'Dispatcher', msg }`. */
export class PinoLoggerService implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    // Nest passes (message, stack, context); the stack is kept, as text.
    const [stack, ...rest] = params;
    const withStack = typeof stack === 'string' && params.length > 1 ? { stack: scrub(stack) } : {};
    this.write('error', message, typeof stack === 'string' && params.length > 1 ? rest : params, withStack);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }

  private write(level: pino.Level, message: unknown, params: unknown[], extra: Record<string, unknown> = {}) {
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    const text =
      message instanceof Error
        ? (message.stack ?? message.message)
        : typeof message === 'string'
          ? message
          : JSON.stringify(message);
    this.pino[level]({ ...(context ? { context } : {}), ...extra }, text);
  }
}
