import { EntityManager } from 'typeorm';
import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { isoInZone } from '../common/time';
import { TransactionRunner } from '../database/transaction-runner';
import { ClosureRow, LocationRow, OfferedServiceRow, SchedulingRepository } from './scheduling.repository';
import { GeneratedUnit, generateSlots, generateUnits, publicHolidays, WeeklyOpening } from './slot-generation';

/** The most services one booking may combine (one counter, the durations added). */
export const MAX_SERVICES_PER_BOOKING = 3;

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
    return this.repo.findLocationForAdmin(this.tx.manager, id);
  }

  /** The services citizens can book at an office, with its durations there. */
  servicesAt(locationId: string) {
    return this.repo.bookableServices(this.tx.manager, locationId);
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
    /** Services combined with this one in one booking (up to 2): the free times are those with room for all. */
    additionalServiceIds?: string[];
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
    const { extraMinutes } = await this.combination(manager, location.id, service.id, query.additionalServiceIds ?? []);
    const rows = await this.repo.availableSlots(manager, {
      extraMinutes,
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
      const basis = await this.basis(manager, locationId, this.clock.now(), days);
      // The counters first: every slot below is checked against them when it is booked.
      await this.repo.insertUnits(manager, locationId, basis.units());
      let created = 0;
      for (const service of await this.repo.bookableServices(manager, locationId))
        created += await this.repo.insertSlots(manager, locationId, service.id, basis.slots(service.durationMinutes));
      return created;
    });
  }

  /**
   * What an office's units and slots are made from, read once on the caller's connection: its unit
   * length, its hours (every version) and its public holidays over [from, from + days).
   */
  private async basis(manager: EntityManager, locationId: string, from: DateTime, days: number) {
    const location = await this.repo.findLocation(manager, locationId);
    if (!location) throw new DomainError('LOCATION_NOT_FOUND', 'No location with this id.');
    const openings = await this.repo.openingHours(manager, locationId);
    const unitMinutes = location.unitMinutes ?? 10;
    const common = {
      openings,
      timeZone: location.timeZone,
      from,
      days,
      closedDays: publicHolidays(location.holidayRegion, from.year, from.plus({ days }).year),
    };
    return {
      units: () => generateUnits({ ...common, unitMinutes }),
      slots: (durationMinutes: number) => generateSlots({ ...common, durationMinutes, stepMinutes: unitMinutes }),
    };
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

  /**
   * A combined booking's services checked at the office: each exists and is bookable there, none
   * more often than its offering allows (the slot's own service counted), at most
   * MAX_SERVICES_PER_BOOKING in all. The minutes the others add after the slot.
   */
  async combination(
    manager: EntityManager,
    locationId: string,
    serviceId: string,
    additionalServiceIds: string[],
  ): Promise<{ extraMinutes: number; services: OfferedServiceRow[] }> {
    if (additionalServiceIds.length === 0) return { extraMinutes: 0, services: [] };
    if (additionalServiceIds.length > MAX_SERVICES_PER_BOOKING - 1)
      throw new DomainError('TOO_MANY_SERVICES', `A booking may combine at most ${MAX_SERVICES_PER_BOOKING} services.`, [
        { field: 'additionalServiceIds', problems: [`at most ${MAX_SERVICES_PER_BOOKING - 1}`] },
      ]);
    const offered = await this.repo.offeredServicesById(manager, locationId, [serviceId, ...additionalServiceIds]);
    const byId = new Map(offered.map((o) => [o.id, o]));
    const counts = new Map<string, number>();
    for (const id of [serviceId, ...additionalServiceIds]) {
      const o = byId.get(id);
      if (!o) throw new DomainError('SERVICE_NOT_FOUND', 'No service with this id.', { serviceId: id });
      if (!o.bookable)
        throw new DomainError('SERVICE_NOT_OFFERED', `“${o.name}” cannot be booked at this office.`, { serviceId: id });
      counts.set(id, (counts.get(id) ?? 0) + 1);
      if (counts.get(id)! > o.maxPerBooking)
        throw new DomainError(
          'TOO_MANY_OF_SERVICE',
          `“${o.name}” may be booked at most ${o.maxPerBooking} times in one appointment at this office.`,
          { serviceId: id, max: o.maxPerBooking },
        );
    }
    const services = additionalServiceIds.map((id) => byId.get(id)!);
    return { extraMinutes: services.reduce((sum, o) => sum + o.durationMinutes, 0), services };
  }

  /** The first free start of a service (and combined minutes) at an office in [from, to), on the caller's transaction. */
  async firstFreeSlot(
    manager: EntityManager,
    query: { locationId: string; serviceId: string; from: Date; to: Date; extraMinutes: number },
  ): Promise<string | undefined> {
    return (await this.repo.availableSlots(manager, { ...query, limit: 1 }))[0]?.id;
  }

  /**
   * The units the office's hours (every version), holidays and closures give it from `from`
   * (the start of its local day at the earliest) for `days` days.
   */
  async plannedUnits(manager: EntityManager, locationId: string, from: DateTime, days: number): Promise<GeneratedUnit[]> {
    const basis = await this.basis(manager, locationId, from, days);
    return basis.units().filter((u) => u.startsAt >= from);
  }

  /**
   * Future units and slots follow a change of hours or offerings from `from`: units get the new
   * counters (what they hold stays; the CHECK refuses a unit left holding more), every service's
   * slots are made or re-spanned to its duration here, slots no longer wanted lose their free places.
   */
  async applyPlan(manager: EntityManager, locationId: string, from: DateTime, days: number): Promise<number> {
    const basis = await this.basis(manager, locationId, from, days);
    const units = basis.units().filter((u) => u.startsAt >= from);
    const changed = await this.repo.applyUnits(manager, locationId, from.toJSDate(), units);
    for (const service of await this.repo.offeredServices(manager, locationId)) {
      const slots = service.bookable ? basis.slots(service.durationMinutes).filter((x) => x.startsAt >= from) : [];
      await this.repo.applySlots(manager, locationId, service.id, from.toJSDate(), slots);
    }
    return changed;
  }
}
