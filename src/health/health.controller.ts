import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainError } from '../common/domain-error';
import { TransactionRunner } from '../database/transaction-runner';
import { ClockGuard } from '../common/clock-guard.service';

/** Readiness answers within about this long, also while the database does not (a load balancer's probe must not hang). */
export const READY_TIMEOUT_MS = 1000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clockGuard: ClockGuard,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: "Readiness: the database answers, and this server's clock agrees with it" })
  async ready() {
    try {
      await this.tx.ping(READY_TIMEOUT_MS);
    } catch {
      throw new DomainError('NOT_READY', 'The database is not reachable.');
    }
    if (!(await this.clockGuard.inSync()))
      throw new DomainError('CLOCK_SKEW', "This server's clock disagrees with the database's; its workers are paused.");
    return { status: 'ok', database: 'up' };
  }
}
