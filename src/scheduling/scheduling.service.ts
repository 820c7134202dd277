import { EntityManager } from 'typeorm';
import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { isoInZone } from '../common/time';
import { TransactionRunner } from '../database/transaction-runner';
import { ClosureRow, LocationRow, SchedulingRepository } from './scheduling.repository';
import { generateSlots, generateUnits, publicHolidays, WeeklyOpening } from './slot-generation';

export interface SlotView {
  id: string;
  locationId: string;
  serviceId: string;
  startsAt: string;
  endsAt: string;
  capacity: number;
  available: number;
}

const MAX_RANGE_DAYS = 62;

@Injectable()
export class SchedulingService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly repo: SchedulingRepository,
    private readonly clock: Clock,
  ) {}

  listLocations() {
    return this.repo.listLocations(this.tx.manager);
  }

  listServices() {
    return this.repo.listServices(this.tx.manager);
  }

  /** The offices with their weekly opening hours, for the citizens' start page. */
  async offices(): Promise<Array<LocationRow & { openings: WeeklyOpening[] }>> {
    const manager = this.tx.manager;
    const [locations, hours] = await Promise.all([this.repo.listLocations(manager), this.repo.allOpeningHours(manager)]);
    return locations.map((l) => ({ ...l, openings: hours.filter((h) => h.locationId === l.id) }));
  }

  findLocation(id: string) {
    return this.repo.findLocation(this.tx.manager, id);
  }

  findService(id: string) {
    return this.repo.findService(this.tx.manager, id);
  }

  slotDetails(slotId: string) {
    return this.repo.slotDetails(this.tx.manager, slotId);
  }

  /** Other offices with a free time for this service within the longest range the listing allows. */
  otherOfficesWithFreeTimes(serviceId: string, exceptLocationId: string) {
    const now = this.clock.now();
    return this.repo.officesWithFreeSlots(
      this.tx.manager,
      serviceId,
      exceptLocationId,
      now.toJSDate(),
      now.plus({ days: MAX_RANGE_DAYS }).toJSDate(),
    );
  }

  async availableSlots(query: {
    locationId: string;
    serviceId: string;
    from?: string;
    to?: string;
    limit?: number;
  }): Promise<SlotView[]> {
    const manager = this.tx.manager;
    const [location, service] = await Promise.all([
      this.repo.findLocation(manager, query.locationId),
      this.repo.findService(manager, query.serviceId),
    ]);
    if (!location) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    if (!service) throw new DomainError('SERVICE_NOT_FOUND', 'No service with this id.');
    const now = this.clock.now();
    const from = query.from ? DateTime.fromISO(query.from, { zone: location.timeZone }) : now;
    const to = query.to ? DateTime.fromISO(query.to, { zone: location.timeZone }) : from.plus({ days: 14 });
    if (!from.isValid || !to.isValid)
      throw new DomainError('VALIDATION_FAILED', '`from` and `to` must be ISO-8601 dates or date-times.', [
        { field: from.isValid ? 'to' : 'from', problems: ['not a valid ISO-8601 date'] },
      ]);
    if (to <= from)
      throw new DomainError('VALIDATION_FAILED', '`to` must be after `from`.', [
        { field: 'to', problems: ['must be after from'] },
      ]);
    if (to.diff(from, 'days').days > MAX_RANGE_DAYS) {
      throw new DomainError('VALIDATION_FAILED', `The range may span at most ${MAX_RANGE_DAYS} days.`, [
        { field: 'to', problems: [`at most ${MAX_RANGE_DAYS} days after from`] },
      ]);
    }
    // Slots that already started are not bookable; never list them.
    const effectiveFrom = from < now ? now : from;
    const rows = await this.repo.availableSlots(manager, {
      locationId: location.id,
      serviceId: service.id,
      from: effectiveFrom.toJSDate(),
      to: to.toJSDate(),
      limit: Math.min(query.limit ?? 2000, 2000),
    });
    return rows.map((r) => ({
      id: r.id,
      locationId: r.locationId,
      serviceId: r.serviceId,
      startsAt: isoInZone(r.startsAt, r.timeZone),
      endsAt: isoInZone(r.endsAt, r.timeZone),
      capacity: r.capacity,
      available: r.capacity - r.booked,
    }));
  }

  /** Generates slots for every service at a location from its weekly opening hours; idempotent. */
  async generateForLocation(locationId: string, days: number): Promise<number> {
    return this.tx.run(async (manager) => {
      const location = await this.repo.findLocation(manager, locationId);
      if (!location) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
      const openings = await this.repo.openingHours(manager, locationId);
      const unitMinutes = location.unitMinutes ?? 10;
      const now = this.clock.now();
      const closedDays = publicHolidays(location.holidayRegion, now.year, now.plus({ days }).year);
      // The counters first: every slot below is checked against them when it is booked.
      await this.repo.insertUnits(
        manager,
        location.id,
        generateUnits({ openings, unitMinutes, timeZone: location.timeZone, from: now, days, closedDays }),
      );
      let created = 0;
      for (const service of await this.repo.listServices(manager)) {
        const slots = generateSlots({
          openings,
          durationMinutes: service.durationMinutes,
          stepMinutes: unitMinutes,
          timeZone: location.timeZone,
          from: now,
          days,
          closedDays,
        });
        created += await this.repo.insertSlots(manager, location.id, service.id, slots);
      }
      return created;
    });
  }

  async createLocation(location: {
    name: string;
    address: string;
    timeZone: string;
    openings: WeeklyOpening[];
    holidayRegion?: string;
  }): Promise<string> {
    return this.tx.run(async (manager) => {
      const id = await this.repo.insertLocation(manager, location);
      await this.repo.replaceOpeningHours(manager, id, location.openings);
      return id;
    });
  }

  /** One office, or LOCATION_NOT_FOUND. */
  async location(id: string): Promise<LocationRow> {
    const location = await this.repo.findLocation(this.tx.manager, id);
    if (!location) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    return location;
  }

  /** Records a closure and takes the counters of its units, in the caller's transaction (after its bookings are freed). */
  async close(
    manager: EntityManager,
    closure: { locationId: string; startsAt: Date; endsAt: Date; reason: string; createdBy: string },
  ): Promise<{ id: string; unitsClosed: number }> {
    const id = await this.repo.insertClosure(manager, closure);
    const unitsClosed = await this.repo.closeUnits(manager, closure.locationId, closure.startsAt, closure.endsAt);
    return { id, unitsClosed };
  }

  /** The office's closures from now on (citizens see them with their reason). */
  async closures(locationId: string): Promise<ClosureRow[]> {
    await this.location(locationId);
    return this.repo.closures(this.tx.manager, locationId, this.clock.now().toJSDate());
  }

  createService(service: { name: string; durationMinutes: number }): Promise<string> {
    return this.repo.insertService(this.tx.manager, service);
  }
}
