import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { BookingsRepository } from '../bookings/bookings.repository';
import { DomainError } from '../common/domain-error';
import { TransactionRunner } from '../database/transaction-runner';
import { OutboxRepository } from '../outbox/outbox.repository';
import { SchedulingService } from '../scheduling/scheduling.service';
import { SchedulingRepository } from '../scheduling/scheduling.repository';

const MAX_DAYS = 366;

/**
 * The supervisors' figures for a period (one office or all): bookings made, confirmed, expired by
 * reason, rescued (the number this product exists for), cancelled, no-shows, utilisation of the
 * counters, and the confirmation mail by provider family. Aggregates only, by SQL from the tables.
 */
@Injectable()
export class StatsService {
  constructor(
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    private readonly scheduling: SchedulingService,
    private readonly units: SchedulingRepository,
    private readonly tx: TransactionRunner,
  ) {}

  async figures(query: { locationId?: string; from: string; to: string }) {
    const zone = query.locationId ? (await this.scheduling.location(query.locationId)).timeZone : 'Europe/Berlin';
    const from = DateTime.fromISO(query.from, { zone });
    const to = DateTime.fromISO(query.to, { zone });
    if (!from.isValid || !to.isValid || to <= from || to.diff(from, 'days').days > MAX_DAYS)
      throw new DomainError('VALIDATION_FAILED', `from and to must be dates, to after from, at most ${MAX_DAYS} days apart.`, [
        { field: 'to', problems: ['a date after from, within a year'] },
      ]);
    const locationId = query.locationId ?? null;
    const span = [this.tx.manager, locationId, from.toJSDate(), to.toJSDate()] as const;
    const [bookings, utilisation, mail] = await Promise.all([
      this.bookings.figures(...span),
      this.units.utilisation(...span),
      this.outbox.mailFigures(...span),
    ]);
    return {
      locationId,
      from: from.toISODate(),
      to: to.toISODate(),
      bookings,
      utilisation: {
        reservedUnits: utilisation.reserved,
        capacityUnits: utilisation.capacity,
        share: utilisation.capacity ? Math.round((1000 * utilisation.reserved) / utilisation.capacity) / 1000 : null,
      },
      mailByFamily: mail,
    };
  }

  /** The same figures as CSV (one `figure,family,value` row each; semicolon-free numbers). */
  async csv(query: { locationId?: string; from: string; to: string }): Promise<string> {
    const f = await this.figures(query);
    const rows: Array<[string, string, string | number | null]> = [
      ...Object.entries(f.bookings).map(([k, v]) => [`bookings.${k}`, '', v] as [string, string, number]),
      ['utilisation.reservedUnits', '', f.utilisation.reservedUnits],
      ['utilisation.capacityUnits', '', f.utilisation.capacityUnits],
      ['utilisation.share', '', f.utilisation.share],
      ...f.mailByFamily.flatMap((m) =>
        (['mails', 'accepted', 'deferred', 'held', 'bounced', 'medianMinutesToDelivery'] as const).map(
          (k) => [`mail.${k}`, m.family, m[k]] as [string, string, number | null],
        ),
      ),
    ];
    return ['figure,family,value', ...rows.map(([k, family, v]) => `${k},${family},${v ?? ''}`)].join('\n') + '\n';
  }
}
