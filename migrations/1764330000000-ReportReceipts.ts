import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhook requests already applied, by the hash of their signature: a captured request
 * replayed within its timestamp's tolerance is recognised and applied no second time.
 */
export class ReportReceipts1764330000000 implements MigrationInterface {
  name = 'ReportReceipts1764330000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE report_receipts (key bytea PRIMARY KEY, at timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX ix_report_receipts_at ON report_receipts (at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE report_receipts`);
  }
}
