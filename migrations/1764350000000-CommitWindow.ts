import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A booking commits only while its transaction is younger than the app's wait for an answer
 * (`holdfast.commit_window_ms`, set per connection from DB_QUERY_TIMEOUT_MS; 5 s when unset,
 * 0 turns it off for bulk loads). A COMMIT that sat in a paused server's socket buffer while the
 * app had already answered 503 is refused when the server resumes, so a citizen's retry cannot
 * book twice. Checked at commit time (deferred), on the database's clock.
 */
export class CommitWindow1764350000000 implements MigrationInterface {
  name = 'CommitWindow1764350000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION holdfast_commit_window() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        window_ms int := coalesce(nullif(current_setting('holdfast.commit_window_ms', true), '')::int, 5000);
      BEGIN
        IF window_ms > 0 AND clock_timestamp() > transaction_timestamp() + window_ms * interval '1 millisecond' THEN
          RAISE EXCEPTION 'transaction older than its commit window (% ms)', window_ms
            USING ERRCODE = 'HF503', HINT = 'The client has given up on this transaction; nothing is written.';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER bookings_commit_window AFTER INSERT ON bookings
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION holdfast_commit_window()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER bookings_commit_window ON bookings`);
    await q.query(`DROP FUNCTION holdfast_commit_window()`);
  }
}
