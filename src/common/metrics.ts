import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * This instance's Prometheus registry and the figures that only its own work knows (attempts,
 * hold extensions, HTTP latency): counted where they happen. The installation's figures (outbox
 * depth, circuits, booking totals) are read from the database when /metrics is scraped
 * (metrics/metrics.service.ts). One registry per app, so apps in one test process stay apart.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly mailAttempts = new Counter({
    name: 'holdfast_mail_attempts_total',
    help: 'Send attempts made by this instance, by outcome and reply category (none: accepted)',
    labelNames: ['outcome', 'category'] as const,
    registers: [this.registry],
  });

  readonly holdsExtended = new Counter({
    name: 'holdfast_holds_extended_total',
    help: 'Holds the expiry sweeper of this instance extended because the confirmation could not arrive yet',
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'holdfast_http_request_duration_seconds',
    help: 'HTTP answers of this instance by method, route pattern and status class',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'holdfast_' });
  }
}
