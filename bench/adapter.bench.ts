/**
 * Which HTTP adapter for Nest: Fastify or Express, measured on the shape of our hot route (a JSON
 * POST through the global ValidationPipe with a class-validator DTO, JSON out), same process
 * layout as the app. No database, so the adapter's own cost shows.
 *   npm run bench:adapter
 */
import { Body, Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { fork } from 'node:child_process';
import { CreateBookingDto } from '../src/bookings/bookings.dto';
import { HttpErrorFilter } from '../src/common/http-error.filter';
import { createValidationPipe } from '../src/common/validation';

@Controller('api/v1')
class EchoController {
  @Post('bookings')
  create(@Body() dto: CreateBookingDto) {
    return {
      id: '00000000-0000-4000-8000-000000000000',
      reference: 'HF-7K3Q-9MPD',
      status: 'pending',
      holdUntil: '2026-12-01T09:30:00+01:00',
      statusToken: 'x'.repeat(43),
      name: dto.name,
    };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

async function load(url: string): Promise<{ rps: number; p50: number; p99: number; non2xx: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--load', url]);
    child.on('message', (m) => resolve(m as never));
    child.on('error', reject);
  });
}

async function runLoad(url: string) {
  const autocannon = require('autocannon') as (options: object) => Promise<any>;
  const body = JSON.stringify({
    slotId: '6f1c1f5e-9a59-4a53-8a2e-0b1b6c1f0a11',
    name: 'Erika Mustermann',
    email: 'erika@example.org',
  });
  const result = await autocannon({
    url: `${url}/api/v1/bookings`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 32,
    duration: SECONDS,
  });
  process.send!({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx });
}

async function main() {
  if (process.argv[2] === '--load') return runLoad(process.argv[3]);
  const results: Record<string, Awaited<ReturnType<typeof load>>> = {};
  for (const [name, adapter] of [
    ['fastify', () => new FastifyAdapter()],
    ['express', () => new ExpressAdapter()],
  ] as const) {
    const app = await NestFactory.create(EchoModule, adapter() as never, { logger: false });
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new HttpErrorFilter());
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address();
    await load(`http://127.0.0.1:${port}`); // warm-up
    results[name] = await load(`http://127.0.0.1:${port}`);
    await app.close();
  }
  console.log(`adapter   req/s    p50 ms  p99 ms  non-2xx   (${SECONDS} s, 32 connections, validated JSON POST)`);
  for (const [name, r] of Object.entries(results))
    console.log(
      `${name.padEnd(9)} ${r.rps.toFixed(0).padStart(6)} ${String(r.p50).padStart(9)} ${String(r.p99).padStart(7)} ${String(r.non2xx).padStart(8)}`,
    );
  console.log(`fastify / express = ${(results.fastify.rps / results.express.rps).toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
