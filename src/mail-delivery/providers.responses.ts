import { ApiProperty } from '@nestjs/swagger';

/** OpenAPI shapes of the providers and relay views (providers.service.ts, relay-status.service.ts). */
export class CircuitViewDto {
  @ApiProperty({ enum: ['closed', 'open', 'half_open'] }) state: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) since: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) openUntil: string | null;
  @ApiProperty({ type: String, nullable: true }) pausedBy: string | null;
  @ApiProperty({ type: String, nullable: true }) pauseReason: string | null;
  @ApiProperty() failedProbes: number;
}

class WaitingDto {
  @ApiProperty() queued: number;
  @ApiProperty() deferred: number;
  @ApiProperty() held: number;
  @ApiProperty() delayed: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) oldestWaitingSince: string | null;
  @ApiProperty({ type: Number, nullable: true }) oldestWaitingAgeSeconds: number | null;
}

class FamilyRelayQueueDto {
  @ApiProperty() inTransit: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) oldestInTransitSince: string | null;
  @ApiProperty({ type: Number, nullable: true }) oldestInTransitMinutes: number | null;
  @ApiProperty({ type: Number, nullable: true }) medianTransitMinutes: number | null;
  @ApiProperty() reportedLastDay: number;
  @ApiProperty({ description: "The family's oldest mail in transit is far past its usual transit time" }) slow: boolean;
  @ApiProperty() thresholdMinutes: number;
  @ApiProperty({ type: Number, nullable: true }) usualMinutes: number | null;
}

class LastReplyDto {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: String, nullable: true }) category: string | null;
  @ApiProperty({ type: Number, nullable: true }) code: number | null;
  @ApiProperty({ type: String, nullable: true }) text: string | null;
}

const COUNTS = { type: 'object', additionalProperties: { type: 'number' }, description: 'Replies by category' } as const;

export class ProviderViewDto {
  @ApiProperty({ example: 'united-internet' }) family: string;
  @ApiProperty({ type: CircuitViewDto }) circuit: CircuitViewDto;
  @ApiProperty({ type: WaitingDto }) waiting: WaitingDto;
  @ApiProperty({ type: FamilyRelayQueueDto }) inRelay: FamilyRelayQueueDto;
  @ApiProperty(COUNTS) lastHour: Record<string, number>;
  @ApiProperty(COUNTS) lastDay: Record<string, number>;
  @ApiProperty({
    type: 'object',
    nullable: true,
    properties: {
      at: { type: 'string', format: 'date-time' },
      category: { type: 'string', nullable: true },
      code: { type: 'number', nullable: true },
      text: { type: 'string', nullable: true },
    },
    required: ['at', 'category', 'code', 'text'],
  })
  lastReply: LastReplyDto | null;
}

class EhloDto {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty() dsn: boolean;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
}

class RelayCountsDto {
  @ApiProperty({ description: 'Relay acceptances of the last 24 hours' }) accepted: number;
  @ApiProperty() withoutDsn: number;
  @ApiProperty() dueForReport: number;
  @ApiProperty() unreported: number;
  @ApiProperty() dueForReportWeek: number;
  @ApiProperty() reportsLastWeek: number;
}

class InTransitDto {
  @ApiProperty() count: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) oldestSince: string | null;
  @ApiProperty({ type: Number, nullable: true }) medianTransitMinutes: number | null;
}

export class RelayStatusDto {
  @ApiProperty({ enum: ['reporting', 'silent', 'no_dsn', 'unknown'] }) reports: string;
  @ApiProperty({ description: 'The transit rule also counts relay mail with reports asked for' }) transitRuleForAll: boolean;
  @ApiProperty({ type: [String] }) warnings: string[];
  @ApiProperty({ enum: ['relay', 'direct', 'development'] }) mode: string;
  @ApiProperty({ description: 'RELAY_TRANSIT_MINUTES' }) transitMinutes: number;
  @ApiProperty({
    type: 'object',
    nullable: true,
    description: 'What this instance read from the relay’s EHLO at start-up',
    properties: {
      at: { type: 'string', format: 'date-time' },
      dsn: { type: 'boolean' },
      error: { type: 'string', nullable: true },
    },
    required: ['at', 'dsn', 'error'],
  })
  ehlo: EhloDto | null;
  @ApiProperty({ type: RelayCountsDto }) counts: RelayCountsDto;
  @ApiProperty({ type: InTransitDto }) inTransit: InTransitDto;
}

/** POST /api/v1/mail/events: whether the event named one of our messages, and its state after it. */
export class MailEventOutcomeDto {
  @ApiProperty() matched: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'accepted' }) state: string | null;
  @ApiProperty({ required: false, description: 'true: this request was applied before; nothing changed' }) duplicate?: boolean;
}
