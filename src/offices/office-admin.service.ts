import { Inject, Injectable } from '@nestjs/common';
import Holidays from 'date-holidays';
import { DateTime, IANAZone } from 'luxon';
import { EntityManager } from 'typeorm';
import { Actor, AuditService } from '../audit/audit.service';
import { BookingsService } from '../bookings/bookings.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { isoInZone } from '../common/time';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner, uniqueViolation, violatedConstraint } from '../database/transaction-runner';
import { bookingsOverCapacity } from '../scheduling/capacity-change';
import { LocationAdminRow, SchedulingRepository } from '../scheduling/scheduling.repository';
import { SchedulingService } from '../scheduling/scheduling.service';
import { WeeklyOpening } from '../scheduling/slot-generation';
import { checkHours } from './hours-rules';

export interface OfficeInput {
  name: string;
  address: string;
  timeZone: string;
  unitMinutes?: number;
  contact?: string | null;
  publicNotice?: string | null;
  holidayRegion?: string | null;
  noShowLimit?: number | null;
}

export interface ServiceInput {
  name: string;
  durationMinutes: number;
  description?: string | null;
  whatToBring?: string | null;
}

export interface HoursRequest {
  validFrom: string;
  periods: WeeklyOpening[];
  reason?: string;
  dryRun?: boolean;
  cancelBookings?: boolean;
  /** Move each affected booking to the next free time instead (cancelled with a notice when there is none). */
  offerNewTimes?: boolean;
}

export interface HoursResult {
  dryRun: boolean;
  validFrom: string;
  affected: Array<{
    id: string;
    reference: string;
    status: string;
    startsAt: string;
    serviceName: string;
    /** What the change did with it (not in a dry run). */
    outcome?: 'moved' | 'cancelled';
    movedTo?: string;
  }>;
  unitsChanged: number;
}

/** Thrown inside a dry run's transaction to roll back what it tried, carrying its result out. */
class DryRun<T> {
  constructor(readonly result: T) {}
}

/**
 * Offices, services, offerings and weekly hours, administered. Future units and slots follow every
 * change without touching what is reserved; a change that takes counters from bookings never
 * overbooks silently: its dry run names them, and applied it refuses while there are any unless
 * told to cancel them with a notice. Every change audited, in the change's transaction.
 */
@Injectable()
export class OfficeAdminService {
  constructor(
    private readonly scheduling: SchedulingService,
    private readonly repo: SchedulingRepository,
    private readonly bookings: BookingsService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async office(id: string) {
    const manager = this.tx.manager;
    const location = await this.repo.findLocationForAdmin(manager, id);
    if (!location) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    const [hours, services] = await Promise.all([this.repo.openingHours(manager, id), this.repo.offeredServices(manager, id)]);
    return { ...this.officeView(location), hours: this.hoursView(hours), services };
  }

  async createOffice(input: OfficeInput, actor: Actor) {
    this.checkOffice(input);
    return this.tx.run(async (manager) => {
      const id = await this.write(() =>
        this.repo.createLocation(manager, {
          name: input.name,
          address: input.address,
          timeZone: input.timeZone,
          unitMinutes: input.unitMinutes ?? 10,
          contact: input.contact ?? null,
          publicNotice: input.publicNotice ?? null,
          holidayRegion: input.holidayRegion ?? null,
          noShowLimit: input.noShowLimit ?? null,
        }),
      );
      await this.audit.record(manager, actor, { action: 'location.created', after: { locationId: id, ...input } });
      return this.officeView((await this.repo.findLocationForAdmin(manager, id))!);
    });
  }

  async updateOffice(id: string, patch: Partial<OfficeInput>, actor: Actor) {
    this.checkOffice(patch);
    return this.tx.run(async (manager) => {
      const before = await this.repo.findLocationForAdmin(manager, id);
      if (!before) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
      if (patch.timeZone !== undefined && patch.timeZone !== before.timeZone)
        throw new DomainError('VALIDATION_FAILED', 'An office’s time zone is set when it is created.', [
          { field: 'timeZone', problems: ['cannot change'] },
        ]);
      if (patch.unitMinutes !== undefined && patch.unitMinutes !== before.unitMinutes)
        throw new DomainError(
          'UNIT_MINUTES_FIXED',
          'The unit length is set when the office is created: its units and bookings are cut to it.',
        );
      await this.write(() => this.repo.updateLocation(manager, id, patch));
      const after = (await this.repo.findLocationForAdmin(manager, id))!;
      if ((patch.holidayRegion ?? before.holidayRegion) !== before.holidayRegion) await this.apply(manager, id, this.clock.now());
      await this.audit.record(manager, actor, { action: 'location.updated', before: { ...before }, after: { ...after } });
      return this.officeView(after);
    });
  }

  /** Every service, active first, with its texts. */
  services() {
    return this.repo.listServicesFull(this.tx.manager);
  }

  async createService(input: ServiceInput, actor: Actor) {
    checkService(input);
    return this.tx.run(async (manager) => {
      const id = await this.write(() =>
        this.repo.createServiceFull(manager, {
          name: input.name,
          durationMinutes: input.durationMinutes,
          description: input.description ?? null,
          whatToBring: input.whatToBring ?? null,
        }),
      );
      await this.audit.record(manager, actor, { action: 'service.created', after: { serviceId: id, ...input } });
      return (await this.repo.findServiceFull(manager, id))!;
    });
  }

  /**
   * Name, texts, default duration; `active: false` takes it off every office (refused while it has
   * bookings ahead: cancel or move them first, SERVICE_HAS_BOOKINGS). Services are never deleted.
   */
  async updateService(id: string, patch: Partial<ServiceInput> & { active?: boolean }, actor: Actor) {
    checkService(patch);
    return this.tx.run(async (manager) => {
      const before = await this.repo.findServiceFull(manager, id);
      if (!before) throw new DomainError('SERVICE_NOT_FOUND', 'No service with this id.');
      if (patch.active === false && before.active) {
        const ahead = await this.bookings.countActiveOfService(manager, id);
        if (ahead > 0)
          throw new DomainError(
            'SERVICE_HAS_BOOKINGS',
            `${ahead} bookings of this service are still ahead: cancel or reschedule them before the service is taken off.`,
            { bookings: ahead },
          );
      }
      await this.write(() => this.repo.updateService(manager, id, patch));
      if (patch.active !== undefined || patch.durationMinutes !== undefined)
        for (const l of await this.repo.listLocations(manager)) await this.apply(manager, l.id, this.clock.now());
      const after = (await this.repo.findServiceFull(manager, id))!;
      await this.audit.record(manager, actor, { action: 'service.updated', before: { ...before }, after: { ...after } });
      return after;
    });
  }

  /** The office's terms for a service: its duration there, whether it is bookable there, how many per booking. */
  async setOffering(
    locationId: string,
    serviceId: string,
    offering: { durationMinutes: number; bookable: boolean; maxPerBooking: number },
    actor: Actor,
  ) {
    checkInt('durationMinutes', offering.durationMinutes, 5, 480);
    checkInt('maxPerBooking', offering.maxPerBooking, 1, 3);
    if (typeof offering.bookable !== 'boolean')
      throw new DomainError('VALIDATION_FAILED', 'bookable must be true or false.', [
        { field: 'bookable', problems: ['not a boolean'] },
      ]);
    return this.tx.run(async (manager) => {
      const location = await this.repo.findLocationForAdmin(manager, locationId);
      if (!location) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
      const service = await this.repo.findServiceFull(manager, serviceId);
      if (!service) throw new DomainError('SERVICE_NOT_FOUND', 'No service with this id.');
      const before = (await this.repo.offeredServicesById(manager, locationId, [serviceId]))[0];
      await this.repo.upsertOffering(manager, { locationId, serviceId, ...offering });
      // Bookings keep their slots; free times from now follow the new terms.
      await this.apply(manager, locationId, this.clock.now());
      await this.audit.record(manager, actor, {
        action: 'offering.set',
        before: { locationId, serviceId, ...pick(before) },
        after: { locationId, serviceId, ...offering },
      });
      return (await this.repo.offeredServicesById(manager, locationId, [serviceId]))[0];
    });
  }

  /**
   * One version of the weekly hours, valid from a date (today or later; next month's hours may
   * differ). The dry run lists the bookings left without a counter (nothing written); applied, it
   * refuses while there are any (HOURS_HAVE_BOOKINGS) unless cancelBookings, which cancels them
   * with a notice first. The units from that day follow; what they hold stays.
   */
  async setHours(locationId: string, request: HoursRequest, actor: Actor): Promise<HoursResult> {
    const location = await this.scheduling.location(locationId);
    const today = this.clock.now().setZone(location.timeZone).toISODate()!;
    checkHours(request.periods, request.validFrom, today, location.unitMinutes ?? 10);
    const startOfValidity = DateTime.fromISO(request.validFrom, { zone: location.timeZone }).startOf('day');
    const from = DateTime.max(startOfValidity, this.clock.now());
    try {
      return await this.tx.run(async (manager) => {
        await this.write(() => this.repo.replaceHoursVersion(manager, locationId, request.validFrom, request.periods));
        const affected = await this.affected(manager, locationId, from);
        const view = affected.map((b) => ({
          id: b.id,
          reference: b.reference,
          status: b.status,
          startsAt: isoInZone(b.slotStartsAt, location.timeZone),
          serviceName: b.serviceName,
        }));
        if (request.dryRun)
          throw new DryRun<HoursResult>({ dryRun: true, validFrom: request.validFrom, affected: view, unitsChanged: 0 });
        if (affected.length > 0 && !request.cancelBookings && !request.offerNewTimes)
          throw new DomainError(
            'HOURS_HAVE_BOOKINGS',
            `${affected.length} bookings would have no counter under these hours: cancel them with a notice (cancelBookings), move them to new times (offerNewTimes) or change the hours.`,
            view,
          );
        if (affected.length > 0 && !request.reason)
          throw new DomainError('VALIDATION_FAILED', 'Cancelling or moving bookings needs a reason for the notice.', [
            { field: 'reason', problems: ['required with cancelBookings or offerNewTimes'] },
          ]);
        // Let the affected go, apply the change exactly, then move them to free times under it or tell them.
        await this.bookings.releaseForCapacityChange(manager, affected);
        const unitsChanged = await this.apply(manager, locationId, from);
        const moved = request.offerNewTimes
          ? await this.moveAffected(manager, locationId, affected, request.reason!, actor)
          : new Map<string, Date>();
        const cancelled = affected.filter((b) => !moved.has(b.id));
        await this.bookings.cancelForCapacityChange(manager, cancelled, request.reason!, actor, true);
        await this.audit.record(manager, actor, {
          action: 'location.hours_set',
          reason: request.reason,
          after: {
            locationId,
            validFrom: request.validFrom,
            periods: request.periods,
            moved: moved.size,
            cancelled: cancelled.length,
          },
        });
        const outcomes = view.map((v) =>
          moved.has(v.id)
            ? { ...v, outcome: 'moved' as const, movedTo: isoInZone(moved.get(v.id)!, location.timeZone) }
            : { ...v, outcome: 'cancelled' as const },
        );
        return { dryRun: false, validFrom: request.validFrom, affected: outcomes, unitsChanged };
      });
    } catch (err) {
      if (err instanceof DryRun) return err.result as HoursResult;
      throw err;
    }
  }

  /**
   * Each affected booking (let go, the change applied) to the next free time of its service (and
   * combined minutes) at the office under the new hours, from its own start to a week after it,
   * earliest made first. The moved ones with their new start.
   */
  private async moveAffected(
    manager: EntityManager,
    locationId: string,
    affected: Awaited<ReturnType<BookingsService['affectedByClosure']>>,
    reason: string,
    actor: Actor,
  ): Promise<Map<string, Date>> {
    const moved = new Map<string, Date>();
    const now = this.clock.now().toJSDate();
    const until = this.clock.now().plus({ days: this.config.slotHorizonDays }).toJSDate();
    for (const b of [...affected].sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime())) {
      const slotId = await this.scheduling.firstFreeSlot(manager, {
        locationId,
        serviceId: b.serviceId,
        from: b.slotStartsAt > now ? b.slotStartsAt : now,
        // Within a week of the appointment (a time further off is no offer: cancelled with a link to book again).
        to: new Date(Math.min(until.getTime(), b.slotStartsAt.getTime() + 7 * 86_400_000)),
        extraMinutes: b.extraMinutes,
      });
      if (!slotId) continue;
      const startsAt = await this.write(() => this.bookings.moveForCapacityChange(manager, b, slotId, reason, actor));
      if (startsAt) moved.set(b.id, startsAt);
    }
    return moved;
  }

  /** The active bookings from `from` that the office's units (as its hours now give them) leave without a counter. */
  private async affected(manager: EntityManager, locationId: string, from: DateTime) {
    const days = this.horizonDays(from);
    const planned = await this.scheduling.plannedUnits(manager, locationId, from, days);
    const existing = await this.repo.unitsFrom(manager, locationId, from.toJSDate());
    const closures = await this.repo.closures(manager, locationId, from.toJSDate());
    const counters = new Map<number, { startsAt: number; endsAt: number; counters: number }>();
    for (const u of existing)
      counters.set(u.startsAt.getTime(), { startsAt: u.startsAt.getTime(), endsAt: u.endsAt.getTime(), counters: 0 });
    for (const u of planned) {
      const startsAt = u.startsAt.toMillis();
      const endsAt = u.endsAt.toMillis();
      const closed = closures.some((c) => c.startsAt.getTime() < endsAt && c.endsAt.getTime() > startsAt);
      counters.set(startsAt, { startsAt, endsAt, counters: closed ? 0 : u.counters });
    }
    const holders = await this.bookings.affectedByClosure(
      locationId,
      from.toJSDate(),
      from.plus({ days: days + 1 }).toJSDate(),
      manager,
      true,
    );
    const out = new Set(
      bookingsOverCapacity(
        [...counters.values()],
        holders.map((b) => ({
          id: b.id,
          createdAt: b.createdAt.getTime(),
          startsAt: b.slotStartsAt.getTime(),
          endsAt: b.slotEndsAt.getTime(),
        })),
      ),
    );
    return holders.filter((b) => out.has(b.id));
  }

  /**
   * Units and slots follow the change. A unit left holding more than its counters (a booking that
   * the dry run did not see, or a new holiday region over booked days) fails the CHECK: refused.
   */
  private async apply(manager: EntityManager, locationId: string, from: DateTime): Promise<number> {
    try {
      return await this.scheduling.applyPlan(manager, locationId, from, this.horizonDays(from));
    } catch (err) {
      if (violatedConstraint(err, '23514') === 'ck_counter_units_reserved')
        throw new DomainError(
          'HOURS_HAVE_BOOKINGS',
          'Bookings hold counters this change would take: close those times first (closure with cancelBookings) or cancel them.',
        );
      throw err;
    }
  }

  /** Days from `from` to the end of the slot horizon (at least one). */
  private horizonDays(from: DateTime): number {
    const end = this.clock.now().plus({ days: this.config.slotHorizonDays });
    return Math.max(1, Math.ceil(end.diff(from, 'days').days));
  }

  /** Unique names and the database's own checks as stable codes. */
  private async write<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const unique = uniqueViolation(err);
      if (unique === 'uq_locations_name')
        throw new DomainError('LOCATION_NAME_TAKEN', 'An office with this name exists already.', [
          { field: 'name', problems: ['taken'] },
        ]);
      if (unique === 'uq_bookings_active_email_slot')
        throw new DomainError(
          'HOURS_HAVE_BOOKINGS',
          'A booking could not be moved: its address holds the next free time already. Cancel it with a notice instead.',
        );
      if (unique === 'uq_services_name')
        throw new DomainError('SERVICE_NAME_TAKEN', 'A service with this name exists already.', [
          { field: 'name', problems: ['taken'] },
        ]);
      if (violatedConstraint(err, '23P01') === 'ex_opening_hours_overlap')
        throw new DomainError('HOURS_OVERLAP', 'Two periods of the same day overlap.', [
          { field: 'periods', problems: ['overlap'] },
        ]);
      if (violatedConstraint(err, '23514') === 'ck_locations_time_zone')
        throw new DomainError('VALIDATION_FAILED', 'Unknown time zone.', [{ field: 'timeZone', problems: ['unknown'] }]);
      throw err;
    }
  }

  private checkOffice(input: Partial<OfficeInput>): void {
    // The API's DTOs check these too; the console's forms come here directly.
    checkText('name', input.name, 2, 200);
    checkText('address', input.address, 3, 300);
    checkText('contact', input.contact, 0, 300);
    checkText('publicNotice', input.publicNotice, 0, 1000);
    if (input.unitMinutes !== undefined && ![5, 6, 10, 12, 15, 20, 30, 60].includes(input.unitMinutes))
      throw new DomainError('VALIDATION_FAILED', 'unitMinutes must divide an hour (5, 6, 10, 12, 15, 20, 30 or 60).', [
        { field: 'unitMinutes', problems: ['not a divisor of 60'] },
      ]);
    if (input.noShowLimit !== undefined && input.noShowLimit !== null) checkInt('noShowLimit', input.noShowLimit, 0, 100);
    if (input.timeZone !== undefined && !IANAZone.isValidZone(input.timeZone))
      throw new DomainError('VALIDATION_FAILED', `Unknown time zone “${input.timeZone}” (an IANA name such as Europe/Berlin).`, [
        { field: 'timeZone', problems: ['unknown time zone'] },
      ]);
    if (input.holidayRegion) {
      const [country, state] = input.holidayRegion.split('-');
      const states = country === 'DE' ? new Holidays().getStates('DE') : undefined;
      if (!states || !state || !(state in states))
        throw new DomainError(
          'VALIDATION_FAILED',
          'holidayRegion must be a German state such as DE-BE (Berlin) or DE-NW (Nordrhein-Westfalen).',
          [{ field: 'holidayRegion', problems: ['unknown region'] }],
        );
    }
  }

  private officeView(l: LocationAdminRow) {
    return {
      id: l.id,
      name: l.name,
      address: l.address,
      timeZone: l.timeZone,
      unitMinutes: l.unitMinutes,
      contact: l.contact,
      publicNotice: l.publicNotice,
      holidayRegion: l.holidayRegion ?? null,
      noShowLimit: l.noShowLimit,
    };
  }

  private hoursView(hours: WeeklyOpening[]) {
    const versions = new Map<string, WeeklyOpening[]>();
    for (const h of hours) {
      const v = h.validFrom ?? '2000-01-01';
      versions.set(v, [
        ...(versions.get(v) ?? []),
        { weekday: h.weekday, opens: h.opens, closes: h.closes, counters: h.counters },
      ]);
    }
    return [...versions.entries()].map(([validFrom, periods]) => ({ validFrom, periods }));
  }
}

function checkText(field: string, value: string | null | undefined, min: number, max: number): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || value.trim().length < min || value.length > max)
    throw new DomainError('VALIDATION_FAILED', `${field} must be ${min} to ${max} characters.`, [
      { field, problems: [`${min}..${max} characters`] },
    ]);
}

function checkInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new DomainError('VALIDATION_FAILED', `${field} must be a whole number from ${min} to ${max}.`, [
      { field, problems: [`${min}..${max}`] },
    ]);
}

function checkService(input: Partial<ServiceInput>): void {
  checkText('name', input.name, 2, 200);
  if (input.durationMinutes !== undefined) checkInt('durationMinutes', input.durationMinutes, 5, 480);
  checkText('description', input.description, 0, 2000);
  checkText('whatToBring', input.whatToBring, 0, 2000);
}

function pick(o: { durationMinutes: number; bookable: boolean; maxPerBooking: number } | undefined) {
  return o ? { durationMinutes: o.durationMinutes, bookable: o.bookable, maxPerBooking: o.maxPerBooking } : {};
}
