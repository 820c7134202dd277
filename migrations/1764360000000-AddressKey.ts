import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-address limits count the address as its mailbox sees it: lower case, `+tag` removed
 * where the provider delivers `name+tag@` to `name@` (Gmail, Outlook/Hotmail, iCloud, Posteo,
 * mailbox.org, Proton, Fastmail), Gmail's dots removed and googlemail.com taken as gmail.com.
 * `a+1@gmail.com`, `a+2@gmail.com` and `A.@gmail.com` are one address. The key is kept by a
 * trigger (`email_key`), so every writer of `email` gets it and one function decides.
 */
export class AddressKey1764360000000 implements MigrationInterface {
  name = 'AddressKey1764360000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION holdfast_address_key(address text) RETURNS text
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE
                 WHEN domain IN ('gmail.com') THEN replace(split_part(local, '+', 1), '.', '')
                 WHEN domain IN (${PLUS_ADDRESSING.map((d) => `'${d}'`).join(', ')}) THEN split_part(local, '+', 1)
                 ELSE local
               END || '@' || domain
          FROM (SELECT lower(left(address, length(address) - strpos(reverse(address), '@'))) AS local,
                       CASE lower(right(address, strpos(reverse(address), '@') - 1))
                         WHEN 'googlemail.com' THEN 'gmail.com'
                         ELSE lower(right(address, strpos(reverse(address), '@') - 1))
                       END AS domain
                 WHERE strpos(address, '@') > 0) parts
        UNION ALL
        SELECT lower(address) WHERE strpos(address, '@') = 0
      $$`);
    await q.query(`
      CREATE FUNCTION holdfast_bookings_email_key() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.email_key := holdfast_address_key(NEW.email);
        RETURN NEW;
      END $$`);
    await q.query(`ALTER TABLE bookings ADD COLUMN email_key text`);
    await q.query(`UPDATE bookings SET email_key = holdfast_address_key(email)`);
    await q.query(`ALTER TABLE bookings ALTER COLUMN email_key SET NOT NULL`);
    await q.query(`
      CREATE TRIGGER bookings_email_key BEFORE INSERT OR UPDATE OF email ON bookings
        FOR EACH ROW EXECUTE FUNCTION holdfast_bookings_email_key()`);
    // The limits look bookings up by key now; the exact-address unique index stays as the backstop.
    await q.query(`DROP INDEX ix_bookings_email_active`);
    await q.query(
      `CREATE INDEX ix_bookings_email_key_active ON bookings (email_key, location_id) WHERE status IN ('pending', 'confirmed')`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_bookings_email_key_active`);
    await q.query(
      `CREATE INDEX ix_bookings_email_active ON bookings (lower(email), location_id) WHERE status IN ('pending', 'confirmed')`,
    );
    await q.query(`DROP TRIGGER bookings_email_key ON bookings`);
    await q.query(`ALTER TABLE bookings DROP COLUMN email_key`);
    await q.query(`DROP FUNCTION holdfast_bookings_email_key()`);
    await q.query(`DROP FUNCTION holdfast_address_key(text)`);
  }
}

/** Providers that deliver `name+tag@domain` to `name@domain` (sub-addressing); others keep `+` as part of the name. */
const PLUS_ADDRESSING = [
  'outlook.com',
  'outlook.de',
  'hotmail.com',
  'hotmail.de',
  'live.com',
  'live.de',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'posteo.de',
  'posteo.net',
  'mailbox.org',
  'proton.me',
  'protonmail.com',
  'protonmail.ch',
  'pm.me',
  'fastmail.com',
];
