import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { TransactionRunner } from '../database/transaction-runner';
import { SchedulingRepository } from './scheduling.repository';
import { SchedulingService } from './scheduling.service';
import { WeeklyOpening } from './slot-generation';

const weekdays = (opens: string, closes: string, counters: number, days = [1, 2, 3, 4, 5]): WeeklyOpening[] =>
  days.map((weekday) => ({ weekday, opens, closes, counters }));

export const DEMO_LOCATIONS = [
  {
    name: 'Bürgeramt Mitte',
    address: 'Karl-Marx-Allee 31, 10178 Berlin',
    timeZone: 'Europe/Berlin',
    holidayRegion: 'DE-BE',
    // Counters per period: three in the morning, two after noon; a long Thursday, as Berlin offices have.
    openings: [
      ...weekdays('08:00', '12:00', 3, [1, 2, 3, 5]),
      ...weekdays('12:00', '15:00', 2, [1, 2, 3, 5]),
      ...weekdays('11:00', '18:00', 3, [4]),
    ],
  },
  {
    name: 'Bürgeramt Nord',
    address: 'Osloer Straße 36, 13359 Berlin',
    timeZone: 'Europe/Berlin',
    holidayRegion: 'DE-BE',
    openings: [...weekdays('07:30', '13:00', 2), ...weekdays('09:00', '12:00', 1, [6])],
  },
];

export const DEMO_SERVICES = [
  { name: 'Personalausweis beantragen', durationMinutes: 20 },
  { name: 'Wohnsitz anmelden', durationMinutes: 15 },
  { name: 'Reisepass abholen', durationMinutes: 10 },
];

/** Demo data for an empty database, and slots for the coming days (also `npm run seed`). */
@Injectable()
export class DemoSeedService {
  private readonly logger = new Logger('Seed');

  constructor(
    private readonly scheduling: SchedulingService,
    private readonly tx: TransactionRunner,
    private readonly repo: SchedulingRepository,
    private readonly clock: Clock,
  ) {}

  async isEmpty(): Promise<boolean> {
    return (await this.repo.countLocations(this.tx.manager)) === 0;
  }

  async seed(days: number): Promise<{ locations: number; services: number; slots: number }> {
    for (const service of DEMO_SERVICES) await this.scheduling.createService(service);
    let slots = 0;
    for (const [i, location] of DEMO_LOCATIONS.entries()) {
      const id = await this.scheduling.createLocation(location);
      // Mitte is closed one whole day in the second week (a closure citizens see with its reason).
      if (i === 0) {
        const day = this.clock.now().setZone(location.timeZone).startOf('day').plus({ days: 9 });
        await this.tx.run((manager) =>
          this.scheduling.close(manager, {
            locationId: id,
            startsAt: day.toJSDate(),
            endsAt: day.plus({ days: 1 }).toJSDate(),
            reason: 'Betriebsausflug',
            createdBy: 'demo seed',
          }),
        );
      }
      slots += await this.scheduling.generateForLocation(id, days);
    }
    this.logger.log(
      `demo data: ${DEMO_LOCATIONS.length} locations, ${DEMO_SERVICES.length} services, ${slots} new slots for ${days} days`,
    );
    return { locations: DEMO_LOCATIONS.length, services: DEMO_SERVICES.length, slots };
  }
}
