import { DataSource } from 'typeorm';
import { APP_ENTITIES } from '../src/app.entities';
import { dataSourceOptions } from '../src/database/data-source-options';
import { createTestDatabase } from './support/test-database';

describe('migrations and entities', () => {
  it('the migrated schema matches the entities: migration:generate would write nothing', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, { entities: APP_ENTITIES }));
    await ds.initialize();
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('instances starting together on an empty database migrate one after the other', async () => {
    const { migrateLocked } = await import('../src/database/migrate');
    const { adminQuery } = await import('./support/test-database');
    const name = `holdfast_empty_${process.pid}_${Date.now()}`;
    await adminQuery(process.env.HOLDFAST_TEST_ADMIN_URL!, `CREATE DATABASE "${name}"`);
    const url = new URL(process.env.HOLDFAST_TEST_ADMIN_URL!);
    url.pathname = `/${name}`;
    try {
      const results = await Promise.all([
        migrateLocked(url.toString()),
        migrateLocked(url.toString()),
        migrateLocked(url.toString()),
      ]);
      const applied = results.map((r) => r.length).sort();
      expect(applied.slice(0, 2)).toEqual([0, 0]);
      expect(applied[2]).toBeGreaterThanOrEqual(3);
    } finally {
      await adminQuery(process.env.HOLDFAST_TEST_ADMIN_URL!, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it('reverts every migration and applies it again', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, { entities: APP_ENTITIES }));
    await ds.initialize();
    try {
      const count = ds.migrations.length;
      for (let i = 0; i < count; i++) await ds.undoLastMigration();
      const { rows } = await ds
        .query(
          `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'bookings'`,
        )
        .then((r: any[]) => ({ rows: r }));
      expect(rows[0].n).toBe(0);
      const applied = await ds.runMigrations();
      expect(applied).toHaveLength(count);
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('the relay-transit migration keeps every old acceptance delivered and names what proved it', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, { entities: APP_ENTITIES }));
    await ds.initialize();
    try {
      // Back to the schema before "in transit" (however many migrations came after it).
      const hasEvidence = async () =>
        (
          await ds.query(
            `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'outbox_messages' AND column_name = 'delivery_evidence'`,
          )
        )[0].n === 1;
      while (await hasEvidence()) await ds.undoLastMigration();
      const row = (id: string, state: string, acceptedBy: string | null) =>
        ds.query(
          `INSERT INTO outbox_messages (id, kind, channel, recipient, message_id, payload, state, next_attempt_at, created_at, accepted_at, accepted_by)
           VALUES ($1::uuid, 'booking_confirmation', 'email', 'a@example.org', $1::text, '{}', $2, now(), now() - interval '1 hour', $3, $4)`,
          [id, state, acceptedBy ? new Date('2026-05-01T10:00:00Z') : null, acceptedBy],
        );
      const ids = {
        relay: '00000000-0000-4000-8000-000000000001',
        mx: '00000000-0000-4000-8000-000000000002',
        reported: '00000000-0000-4000-8000-000000000003',
        delayed: '00000000-0000-4000-8000-000000000004',
      };
      await row(ids.relay, 'accepted', 'relay');
      await row(ids.mx, 'accepted', 'mx');
      await row(ids.reported, 'accepted', 'mx');
      await ds.query(
        `INSERT INTO delivery_events (message_id, at, source, kind, state_after) VALUES ($1, now(), 'dsn', 'delivered', 'accepted')`,
        [ids.reported],
      );
      await row(ids.delayed, 'delayed', 'relay');
      await ds.runMigrations();
      const rows = await ds.query(
        `SELECT id, state, delivery_evidence AS evidence, delivered_at = accepted_at AS at_acceptance FROM outbox_messages ORDER BY id`,
      );
      expect(rows).toEqual([
        { id: ids.relay, state: 'accepted', evidence: 'before_reports', at_acceptance: true },
        { id: ids.mx, state: 'accepted', evidence: 'smtp', at_acceptance: true },
        { id: ids.reported, state: 'accepted', evidence: 'report', at_acceptance: true },
        { id: ids.delayed, state: 'delayed', evidence: null, at_acceptance: null },
      ]);
      // The constraint now holds: an accepted e-mail without a delivery time is refused.
      await expect(ds.query(`UPDATE outbox_messages SET delivered_at = NULL WHERE id = $1`, [ids.relay])).rejects.toThrow(
        /ck_outbox_email_delivered/,
      );
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('the scrub migration blanks old links and codes of settled bookings, keeps those of pending ones', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, { entities: APP_ENTITIES }));
    await ds.initialize();
    try {
      const [{ id: slotId, location_id: locationId }] = await ds.query(
        `WITH l AS (INSERT INTO locations (name, address, time_zone) VALUES ('Amt', 'Weg 1', 'Europe/Berlin') RETURNING id),
              s AS (INSERT INTO services (name, duration_minutes) VALUES ('Pass', 20) RETURNING id)
         INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity)
         SELECT l.id, s.id, now() + interval '1 day', now() + interval '1 day 20 minutes', 5 FROM l, s RETURNING id, location_id`,
      );
      const token = 'A'.repeat(43);
      const old = (status: string, ref: string) =>
        ds.query(
          `WITH b AS (
             INSERT INTO bookings (id, reference, slot_id, location_id, name, email, status, hold_until, created_at, hold_started_at, cancelled_at)
             VALUES (gen_random_uuid(), $1::varchar, $2, $3, 'Alt', $1::text || '@example.org', $4::varchar, now(), now(), now(), CASE WHEN $4::text = 'cancelled' THEN now() END)
             RETURNING id)
           INSERT INTO outbox_messages (id, booking_id, kind, channel, recipient, message_id, payload, state, next_attempt_at, created_at)
           SELECT gen_random_uuid(), b.id, 'booking_confirmation', 'email', 'x@example.org', gen_random_uuid()::text, $5::jsonb, 'bounced', now(), now() FROM b`,
          [ref, slotId, locationId, status, JSON.stringify({ text: `Link: https://x/confirm?token=${token} Code 123456` })],
        );
      await old('cancelled', 'HF-AAAA-AAAA');
      await old('pending', 'HF-BBBB-BBBB');
      const { ScrubStoredSecrets1764390000000 } = await import('../migrations/1764390000000-ScrubStoredSecrets');
      const runner = ds.createQueryRunner();
      await new ScrubStoredSecrets1764390000000().up(runner);
      await runner.release();
      const rows = await ds.query(
        `SELECT b.reference, o.payload->>'text' AS text FROM outbox_messages o JOIN bookings b ON b.id = o.booking_id ORDER BY 1`,
      );
      expect(rows).toEqual([
        { reference: 'HF-AAAA-AAAA', text: 'Link: https://x/confirm?token=[entfernt] Code [entfernt]' },
        { reference: 'HF-BBBB-BBBB', text: `Link: https://x/confirm?token=${token} Code 123456` },
      ]);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
