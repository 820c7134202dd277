import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainError } from '../common/domain-error';
import { TransactionRunner } from '../database/transaction-runner';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly tx: TransactionRunner) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers' })
  async ready() {
    try {
      await this.tx.ping();
      return { status: 'ok', database: 'up' };
    } catch {
      throw new DomainError('NOT_READY', 'The database is not reachable.');
    }
  }
}
