import { RetentionService } from '../privacy/retention.service';
import { parseFlags, withCliContext } from './cli-context';

const USAGE = `usage: npm run retention -- [--dry-run]
  Anonymises the personal data due after RETENTION_DAYS (the app's own job does it hourly);
  with --dry-run only prints what is due.`;

async function main(): Promise<void> {
  const { command, flags } = parseFlags(['run', ...process.argv.slice(2)]);
  if (command !== 'run' || Object.keys(flags).some((f) => f !== 'dry-run')) {
    console.error(USAGE);
    process.exit(2);
  }
  await withCliContext(async (ctx, config) => {
    const retention = ctx.get(RetentionService);
    const dry = flags['dry-run'] === 'true';
    const counts = dry ? await retention.dryRun() : await retention.run();
    console.log(
      `${dry ? 'due (dry run, nothing changed)' : 'anonymised'}: RETENTION_DAYS=${config.retentionDays}, before ${counts.cutoff}`,
    );
    console.log(`  bookings:           ${counts.bookings}`);
    console.log(`  messages:           ${counts.messages}`);
    console.log(`  attempts (replies): ${counts.attempts}`);
    console.log(`  delivery reports:   ${counts.reports}`);
    console.log(`  unmatched reports:  ${counts.unmatchedReports}`);
    console.log(`  audit entries:      ${counts.auditEntries}`);
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
