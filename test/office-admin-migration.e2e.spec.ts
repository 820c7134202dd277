import { DataSource } from 'typeorm';
import { APP_ENTITIES } from '../src/app.entities';
import { dataSourceOptions } from '../src/database/data-source-options';
import { createTestDatabase } from './support/test-database';

describe('the migration to administered offices', () => {
  it('carries hours, slots and bookings over: overlapping periods become touching pieces with the same counters', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, { entities: APP_ENTITIES }));
    await ds.initialize();
    try {
      // The schema before it: every migration from OfficeAdmin on undone.
      while (
        (await ds.query(`SELECT name FROM typeorm_migrations ORDER BY id DESC LIMIT 1`))[0].name !== 'Retention1764650000000'
      )
        await ds.undoLastMigration();
      const [{ id: locationId }] = await ds.query(
        `INSERT INTO locations (name, address, time_zone) VALUES ('Altamt', 'Weg 1', 'Europe/Berlin') RETURNING id`,
      );
      // Monday 08–12 three counters and 10–14 two (overlapping: the old rule gave 10–12 three); Tuesday plain.
      await ds.query(
        `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters)
         VALUES ($1, 1, '08:00', '12:00', 3), ($1, 1, '10:00', '14:00', 2), ($1, 2, '08:00', '12:00', 2)`,
        [locationId],
      );
      const [{ id: serviceId }] = await ds.query(
        `INSERT INTO services (name, duration_minutes) VALUES ('Ausweis', 20) RETURNING id`,
      );
      const [{ id: slotId }] = await ds.query(
        `INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity, booked)
         VALUES ($1, $2, now() + interval '1 day', now() + interval '1 day 20 minutes', 3, 1) RETURNING id`,
        [locationId, serviceId],
      );
      await ds.query(
        `INSERT INTO bookings (reference, slot_id, location_id, name, email, status, hold_until, created_at, hold_started_at)
         VALUES ('HF-ALT-0001', $1, $2, 'Alt', 'alt@example.org', 'pending', now() + interval '1 hour', now(), now())`,
        [slotId, locationId],
      );

      await ds.runMigrations();

      const hours = await ds.query(
        `SELECT weekday, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes, counters,
                to_char(valid_from, 'YYYY-MM-DD') AS "validFrom"
           FROM opening_hours WHERE location_id = $1 ORDER BY weekday, opens`,
        [locationId],
      );
      expect(hours).toEqual([
        { weekday: 1, opens: '08:00', closes: '10:00', counters: 3, validFrom: '2000-01-01' },
        { weekday: 1, opens: '10:00', closes: '12:00', counters: 3, validFrom: '2000-01-01' },
        { weekday: 1, opens: '12:00', closes: '14:00', counters: 2, validFrom: '2000-01-01' },
        { weekday: 2, opens: '08:00', closes: '12:00', counters: 2, validFrom: '2000-01-01' },
      ]);
      const [booking] = await ds.query(
        `SELECT status, extra_minutes, extra_service_ids FROM bookings WHERE reference = 'HF-ALT-0001'`,
      );
      expect(booking).toEqual({ status: 'pending', extra_minutes: 0, extra_service_ids: [] });
      expect((await ds.query(`SELECT count(*)::int AS n FROM offerings`))[0].n).toBe(0);
      expect((await ds.query(`SELECT active FROM services WHERE id = $1`, [serviceId]))[0].active).toBe(true);
      // From now on overlapping periods are refused by the database.
      await expect(
        ds.query(
          `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) VALUES ($1, 2, '11:00', '13:00', 1)`,
          [locationId],
        ),
      ).rejects.toMatchObject({ driverError: { constraint: 'ex_opening_hours_overlap' } });
      await expect(ds.query(`UPDATE locations SET time_zone = 'Mars/Olympus' WHERE id = $1`, [locationId])).rejects.toMatchObject(
        { driverError: { constraint: 'ck_locations_time_zone' } },
      );
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
