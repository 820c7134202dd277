import { LivenessDto, ReadinessDto } from './health.responses';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DomainError } from '../common/domain-error';
import { TransactionRunner } from '../database/transaction-runner';
import { ClockGuard } from '../common/clock-guard.service';
import { Lifecycle } from '../common/lifecycle';
import { workerBeats } from '../common/worker-loop';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MailTransport } from '../notifications/mail-transport';

/** Readiness answers within about this long, also while the database does not (a load balancer's probe must not hang). */
export const READY_TIMEOUT_MS = 1000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clockGuard: ClockGuard,
    private readonly lifecycle: Lifecycle,
    private readonly mail: MailTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LivenessDto })
  live() {
    return { status: 'ok' };
  }

  /**
   * 503 while shutting down, while the database does not answer, while the clocks disagree and
   * while one of this instance's workers is stuck. The mail transport is reported, not required:
   * a relay outage is shared by every instance, and taking them all out of the load balancer would
   * refuse bookings that the outbox would keep until the relay answers.
   */
  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: not shutting down, the database answers, the clocks agree, the workers are alive; the mail transport is reported',
  })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiServiceUnavailableResponse({ description: 'NOT_READY (shutting down, no database, a stuck worker) or CLOCK_SKEW' })
  async ready() {
    if (this.lifecycle.draining) throw new DomainError('NOT_READY', 'This instance is shutting down.');
    const [database, mail] = await Promise.all([
      this.tx.ping(READY_TIMEOUT_MS).then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      this.mail.check(READY_TIMEOUT_MS),
    ]);
    if (database === 'down') throw new DomainError('NOT_READY', 'The database is not reachable.', { database, mail });
    if (!(await this.clockGuard.inSync()))
      throw new DomainError('CLOCK_SKEW', "This server's clock disagrees with the database's; its workers are paused.");
    const beats = workerBeats();
    const stuck = beats.filter((b) => b.stale).map((b) => b.name);
    const workers = !this.config.workersEnabled ? 'off' : stuck.length ? 'stuck' : 'up';
    if (stuck.length > 0)
      throw new DomainError('NOT_READY', `Workers without a heartbeat: ${stuck.join(', ')}.`, { database, mail, workers: stuck });
    return { status: mail === 'down' ? 'degraded' : 'ok', database, mail, workers };
  }
}
