import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages queued before secrets were derived at send time (common/message-secrets.ts) kept the
 * whole confirmation link and the SMS code in their payload. Of bookings no longer pending (the
 * link can do nothing any more, and the message is never sent again) they are blanked; those of
 * pending bookings stay, since such a message may still be sent or sent again.
 */
export class ScrubStoredSecrets1764390000000 implements MigrationInterface {
  name = 'ScrubStoredSecrets1764390000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE outbox_messages o
         SET payload = regexp_replace(
               regexp_replace(o.payload::text, 'token=[A-Za-z0-9_-]{43}', 'token=[entfernt]', 'g'),
               'Code [0-9]{6}', 'Code [entfernt]', 'g')::jsonb
        FROM bookings b
       WHERE b.id = o.booking_id AND b.status <> 'pending' AND NOT (o.payload ? 'secrets')
         AND o.payload::text ~ '(token=[A-Za-z0-9_-]{43}|Code [0-9]{6})'`);
  }

  public async down(): Promise<void> {
    // Blanked secrets cannot come back (and must not).
  }
}
