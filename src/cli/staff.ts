import { DomainError } from '../common/domain-error';
import { generatePassword } from '../staff/passwords';
import { STAFF_ROLES } from '../staff/roles';
import type { StaffRole } from '../staff/roles';
import { StaffService } from '../staff/staff.service';
import { parseFlags, withCliContext } from './cli-context';

const USAGE = `usage: npm run staff -- create --email <address> --role <${STAFF_ROLES.join('|')}> [--name "<display name>"]
         Creates a staff account and prints its generated password once.
       npm run staff -- sso-unbind --email <address>
         Removes the account's binding to a person at the OpenID provider (its next single sign-on binds it again).`;

async function main(): Promise<void> {
  const { command, flags } = parseFlags(process.argv.slice(2));
  const create = command === 'create' && flags.email && STAFF_ROLES.includes(flags.role as StaffRole);
  if (!create && !(command === 'sso-unbind' && flags.email)) {
    console.error(USAGE);
    process.exit(2);
  }
  const actor = { id: null, label: `cli:${process.env.USER ?? 'unknown'}` };
  await withCliContext(async (ctx) => {
    try {
      if (create) {
        const password = generatePassword();
        const staff = await ctx
          .get(StaffService)
          .create({ email: flags.email, displayName: flags.name, role: flags.role as StaffRole, password }, actor);
        console.log(`created ${staff.role} ${staff.email} (id ${staff.id})`);
        console.log(`password (shown once): ${password}`);
      } else {
        const { id } = await ctx.get(StaffService).unbindSso({ email: flags.email }, actor);
        console.log(`unbound ${flags.email} (id ${id}): its next single sign-on binds it again`);
      }
    } catch (err) {
      if (err instanceof DomainError) {
        console.error(`${err.code}: ${err.message}`);
        process.exitCode = 1;
        return;
      }
      throw err;
    }
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
