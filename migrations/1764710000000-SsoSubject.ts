import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A staff account signed in through the city's OpenID provider is bound to that person's
 * identity there (issuer and subject, which the provider never reassigns), not to an e-mail
 * address: a second identity at the provider that shows the same address does not open the
 * account, and a changed address at the provider follows the account. Existing accounts are bound
 * at their next single sign-on.
 */
export class SsoSubject1764710000000 implements MigrationInterface {
  name = 'SsoSubject1764710000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staff_users
      ADD COLUMN sso_issuer varchar(500),
      ADD COLUMN sso_subject varchar(255),
      ADD CONSTRAINT ck_staff_users_sso CHECK ((sso_issuer IS NULL) = (sso_subject IS NULL))`);
    await q.query(`CREATE UNIQUE INDEX uq_staff_users_sso ON staff_users (sso_issuer, sso_subject)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX uq_staff_users_sso`);
    await q.query(`ALTER TABLE staff_users DROP CONSTRAINT ck_staff_users_sso, DROP COLUMN sso_subject, DROP COLUMN sso_issuer`);
  }
}
