import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { Actor, actsAt, AuditService } from '../audit/audit.service';
import { attendanceRefusal, NO_SHOW_GRACE_MINUTES } from '../bookings/booking-state';
import { BookingsRepository } from '../bookings/bookings.repository';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { newBookingReference } from '../common/ids';
import { dayInZone, isoInZone } from '../common/time';
import { TransactionRunner, uniqueViolation } from '../database/transaction-runner';
import { SchedulingService } from '../scheduling/scheduling.service';
import { randomUUID } from 'node:crypto';

type Attendance = 'arrived' | 'served' | 'no_show';

/** A walk-in may still take a slot that began this long ago (the one at the counter now). */
const WALK_IN_LATE_MINUTES = 15;

/** The day at the counter: the day list, who came, walk-ins; every change audited. */
@Injectable()
export class CounterDayService {
  constructor(
    private readonly bookings: BookingsRepository,
    private readonly scheduling: SchedulingService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  /** The office's bookings of one local day (`yyyy-MM-dd`, default today), by time. */
  async dayList(locationId: string, date: string | undefined, actor: Actor) {
    const location = await this.scheduling.location(locationId);
    await this.assertOffice(actor, location.id);
    const day = date ? DateTime.fromISO(date, { zone: location.timeZone }) : this.clock.now().setZone(location.timeZone);
    if (!day.isValid)
      throw new DomainError('VALIDATION_FAILED', 'date must be yyyy-MM-dd.', [{ field: 'date', problems: ['not a date'] }]);
    const { start, end } = dayInZone(day.toJSDate(), location.timeZone);
    const rows = await this.bookings.dayList(this.tx.manager, location.id, start, end);
    return {
      date: day.toISODate(),
      location: { id: location.id, name: location.name },
      bookings: rows.map((r) => ({
        id: r.id,
        reference: r.reference,
        name: r.name,
        serviceName: r.serviceName,
        startsAt: isoInZone(r.startsAt, location.timeZone),
        endsAt: isoInZone(r.endsAt, location.timeZone),
        status: r.status,
        attendance: r.attendance,
        walkIn: r.walkIn,
      })),
    };
  }

  /** Check-in (arrived), served, or a no-show (after the slot's end and NO_SHOW_GRACE_MINUTES). */
  async record(id: string, state: Attendance, actor: Actor) {
    return this.tx.run(async (manager) => {
      const booking = await this.bookings.findById(manager, id, true);
      if (!booking) throw new DomainError('BOOKING_NOT_FOUND', 'No booking with this id.');
      await this.assertOffice(actor, booking.locationId);
      const now = this.clock.now();
      const refusal = attendanceRefusal({ ...booking, slotEndsAt: DateTime.fromJSDate(booking.slotEndsAt) }, state, now);
      if (refusal)
        throw new DomainError('ATTENDANCE_NOT_ALLOWED', ATTENDANCE_MESSAGES[refusal], {
          reason: refusal,
          graceMinutes: NO_SHOW_GRACE_MINUTES,
        });
      await this.bookings.setAttendance(manager, id, state, now.toJSDate());
      await this.audit.record(manager, actor, {
        action: `booking.${state}`,
        bookingId: id,
        before: { attendance: booking.attendance },
        after: { attendance: state },
      });
      return { id, attendance: state };
    });
  }

  /** A clerk bound to offices acts only there; a refusal is audited (outside the refused work). */
  private async assertOffice(actor: Actor, locationId: string): Promise<void> {
    if (actsAt(actor, locationId)) return;
    await this.audit.record(this.tx.manager, actor, { action: 'access.refused', after: { locationId } });
    throw new DomainError('FORBIDDEN', 'This office is not one of yours.', { locationId });
  }

  /** Someone at the desk gets a free counter in this slot now: confirmed at once, no mail. */
  async walkIn(slotId: string, name: string, actor: Actor) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.tx.run(async (manager) => {
          const now = this.clock.now().toJSDate();
          const notBefore = new Date(now.getTime() - WALK_IN_LATE_MINUTES * 60_000);
          const place = await this.bookings.reservePlace(manager, slotId, notBefore);
          if (!place) throw await this.bookings.whyNotReservable(manager, slotId, notBefore);
          await this.assertOffice(actor, place.locationId);
          const id = randomUUID();
          const reference = newBookingReference();
          await this.bookings.insertWalkIn(manager, {
            id,
            reference,
            slotId: place.slotId,
            locationId: place.locationId,
            name,
            email: `walk-in.${reference.toLowerCase()}@holdfast.invalid`,
            now,
          });
          await this.audit.record(manager, actor, { action: 'booking.walk_in', bookingId: id, after: { slotId, name } });
          return { id, reference, status: 'confirmed' as const, attendance: 'arrived' as const };
        });
      } catch (err) {
        if (uniqueViolation(err) === 'uq_bookings_reference' && attempt < 3) continue;
        throw err;
      }
    }
  }
}

const ATTENDANCE_MESSAGES: Record<NonNullable<ReturnType<typeof attendanceRefusal>>, string> = {
  not_confirmed: 'Only a confirmed booking is checked in, served or marked as a no-show.',
  already: 'This is already recorded.',
  not_arrived: 'Served comes after the check-in.',
  too_early: `A no-show is recorded at the earliest ${NO_SHOW_GRACE_MINUTES} minutes after the slot's end.`,
  came: 'The citizen came: not a no-show.',
};
