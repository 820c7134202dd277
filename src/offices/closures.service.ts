import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { Actor, AuditService } from '../audit/audit.service';
import { BookingsService } from '../bookings/bookings.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { isoInZone } from '../common/time';
import { TransactionRunner } from '../database/transaction-runner';
import { SchedulingService } from '../scheduling/scheduling.service';

export interface ClosureRequest {
  locationId: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  dryRun?: boolean;
  cancelBookings?: boolean;
}

/**
 * An office closed for a whole or part day. Never overbooks silently: the dry run lists the
 * bookings that hold a counter then; applied, the closure either refuses while there are any, or
 * (asked to) cancels them with a notice mail first, then takes the counters of its time, all in
 * one transaction, audited.
 */
@Injectable()
export class ClosuresService {
  constructor(
    private readonly scheduling: SchedulingService,
    private readonly bookings: BookingsService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  async close(request: ClosureRequest, actor: Actor) {
    const location = await this.scheduling.location(request.locationId);
    const from = DateTime.fromISO(request.startsAt, { setZone: true });
    const to = DateTime.fromISO(request.endsAt, { setZone: true });
    if (!from.isValid || !to.isValid)
      throw new DomainError('VALIDATION_FAILED', 'startsAt and endsAt must be real dates and times.', [
        { field: from.isValid ? 'endsAt' : 'startsAt', problems: ['not a valid date-time'] },
      ]);
    if (to <= from)
      throw new DomainError('VALIDATION_FAILED', 'endsAt must be after startsAt.', [
        { field: 'endsAt', problems: ['must be after startsAt'] },
      ]);
    if (from < this.clock.now())
      throw new DomainError('VALIDATION_FAILED', 'A closure cannot start in the past.', [
        { field: 'startsAt', problems: ['in the past'] },
      ]);
    const view = (affected: Awaited<ReturnType<BookingsService['affectedByClosure']>>) =>
      affected.map((b) => ({
        id: b.id,
        reference: b.reference,
        status: b.status,
        startsAt: isoInZone(b.slotStartsAt, location.timeZone),
        serviceName: b.serviceName,
      }));
    const span = { locationId: location.id, from: from.toJSDate(), to: to.toJSDate(), reason: request.reason };
    if (request.dryRun)
      return { dryRun: true, affected: view(await this.bookings.affectedByClosure(span.locationId, span.from, span.to)) };
    return this.tx.run(async (manager) => {
      if (!request.cancelBookings) {
        // In the closure's transaction: a booking made meanwhile is seen here or fails the units' CHECK below.
        const affected = await this.bookings.affectedByClosure(span.locationId, span.from, span.to, manager);
        if (affected.length > 0)
          throw new DomainError(
            'CLOSURE_HAS_BOOKINGS',
            `${affected.length} bookings hold a counter in this time: cancel them with a notice (cancelBookings) or choose another time.`,
            view(affected),
          );
      }
      const cancelled = await this.bookings.cancelForClosure(manager, span, actor);
      const { id, unitsClosed } = await this.scheduling.close(manager, {
        locationId: location.id,
        startsAt: span.from,
        endsAt: span.to,
        reason: request.reason,
        createdBy: actor.label,
      });
      await this.audit.record(manager, actor, {
        action: 'location.closed',
        reason: request.reason,
        after: {
          closureId: id,
          locationId: location.id,
          startsAt: request.startsAt,
          endsAt: request.endsAt,
          cancelled: cancelled.length,
        },
      });
      return { dryRun: false, id, affected: view(cancelled), unitsClosed };
    });
  }

  async upcoming(locationId: string) {
    const location = await this.scheduling.location(locationId);
    return (await this.scheduling.closures(locationId)).map((c) => ({
      id: c.id,
      startsAt: isoInZone(c.startsAt, location.timeZone),
      endsAt: isoInZone(c.endsAt, location.timeZone),
      reason: c.reason,
    }));
  }
}
